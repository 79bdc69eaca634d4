/* PELs as AVL trees threaded through the NACKs (t_stream_pel.h). AVL
 * rather than red-black: the same O(log n) bounds with the simplest
 * rebalancing (heights, four rotations), and a tree at most 1.44 log2 n
 * deep. Rebalancing walks from the change to the root: O(log n) and no
 * special cases for stopping early. */
#include "store/t_stream_pel.h"

#include <stdlib.h>

#define LK(p, x) (&(x)->link[(p)->side])

static int height(const kv_spel *p, const kv_snack *x)
{
    return x ? LK(p, x)->height : 0;
}

static void fix_height(const kv_spel *p, kv_snack *x)
{
    int l = height(p, LK(p, x)->left), r = height(p, LK(p, x)->right);
    LK(p, x)->height = 1 + (l > r ? l : r);
}

/* up's child `old` (the root if up is NULL) becomes `nw`. */
static void replace_child(kv_spel *p, kv_snack *up, const kv_snack *old, kv_snack *nw)
{
    if (!up)
        p->root = nw;
    else if (LK(p, up)->left == old)
        LK(p, up)->left = nw;
    else
        LK(p, up)->right = nw;
}

/* x's right child takes x's place, x becomes its left child. */
static kv_snack *rotate_left(kv_spel *p, kv_snack *x)
{
    kv_spel_link *lx = LK(p, x);
    kv_snack *y = lx->right;
    kv_spel_link *ly = LK(p, y);
    lx->right = ly->left;
    if (ly->left)
        LK(p, ly->left)->up = x;
    ly->up = lx->up;
    replace_child(p, lx->up, x, y);
    ly->left = x;
    lx->up = y;
    fix_height(p, x);
    fix_height(p, y);
    return y;
}

static kv_snack *rotate_right(kv_spel *p, kv_snack *x)
{
    kv_spel_link *lx = LK(p, x);
    kv_snack *y = lx->left;
    kv_spel_link *ly = LK(p, y);
    lx->left = ly->right;
    if (ly->right)
        LK(p, ly->right)->up = x;
    ly->up = lx->up;
    replace_child(p, lx->up, x, y);
    ly->right = x;
    lx->up = y;
    fix_height(p, x);
    fix_height(p, y);
    return y;
}

/* x's subtrees are balanced and differ in height by at most 2: balance
 * x's; returns the subtree's root. */
static kv_snack *rebalance(kv_spel *p, kv_snack *x)
{
    kv_spel_link *lx = LK(p, x);
    int bal = height(p, lx->left) - height(p, lx->right);
    if (bal > 1) {
        kv_snack *l = lx->left;
        if (height(p, LK(p, l)->left) < height(p, LK(p, l)->right))
            rotate_left(p, l);
        return rotate_right(p, x);
    }
    if (bal < -1) {
        kv_snack *r = lx->right;
        if (height(p, LK(p, r)->right) < height(p, LK(p, r)->left))
            rotate_right(p, r);
        return rotate_left(p, x);
    }
    fix_height(p, x);
    return x;
}

static void retrace(kv_spel *p, kv_snack *x)
{
    while (x)
        x = LK(p, rebalance(p, x))->up;
}

kv_snack *kv_spel_seek(const kv_spel *p, const kv_sid *id)
{
    kv_snack *x = p->root, *best = NULL;
    while (x) {
        if (kv_sid_cmp(&x->id, id) < 0) {
            x = LK(p, x)->right;
        } else {
            best = x;
            x = LK(p, x)->left;
        }
    }
    return best;
}

kv_snack *kv_spel_find(const kv_spel *p, const kv_sid *id)
{
    kv_snack *x = kv_spel_seek(p, id);
    return x && kv_sid_cmp(&x->id, id) == 0 ? x : NULL;
}

kv_snack *kv_spel_first(const kv_spel *p)
{
    kv_snack *x = p->root;
    while (x && LK(p, x)->left)
        x = LK(p, x)->left;
    return x;
}

kv_snack *kv_spel_last(const kv_spel *p)
{
    kv_snack *x = p->root;
    while (x && LK(p, x)->right)
        x = LK(p, x)->right;
    return x;
}

kv_snack *kv_spel_next(const kv_spel *p, const kv_snack *x)
{
    kv_snack *y = LK(p, x)->right;
    if (y) {
        while (LK(p, y)->left)
            y = LK(p, y)->left;
        return y;
    }
    for (y = LK(p, x)->up; y && LK(p, y)->right == x; y = LK(p, y)->up)
        x = y;
    return y;
}

void kv_spel_insert(kv_spel *p, kv_snack *nack)
{
    kv_snack *up = NULL, **at = &p->root;
    kv_spel_link *l = LK(p, nack);
    while (*at) {
        up = *at;
        at = kv_sid_cmp(&nack->id, &up->id) < 0 ? &LK(p, up)->left : &LK(p, up)->right;
    }
    l->left = l->right = NULL;
    l->up = up;
    l->height = 1;
    *at = nack;
    p->n++;
    retrace(p, up);
}

void kv_spel_remove(kv_spel *p, kv_snack *x)
{
    kv_spel_link *lx = LK(p, x);
    kv_snack *from; /* the lowest node whose subtree changed */
    if (lx->left && lx->right) {
        /* Its successor (the leftmost of its right subtree, which has no
         * left child) takes its place. */
        kv_snack *y = lx->right;
        kv_spel_link *ly;
        while (LK(p, y)->left)
            y = LK(p, y)->left;
        ly = LK(p, y);
        if (ly->up != x) {
            from = ly->up;
            LK(p, from)->left = ly->right;
            if (ly->right)
                LK(p, ly->right)->up = from;
            ly->right = lx->right;
            LK(p, lx->right)->up = y;
        } else {
            from = y; /* x's right child: it keeps its right subtree */
        }
        ly->left = lx->left;
        LK(p, lx->left)->up = y;
        ly->up = lx->up;
        ly->height = lx->height;
        replace_child(p, lx->up, x, y);
    } else {
        kv_snack *c = lx->left ? lx->left : lx->right;
        from = lx->up;
        if (c)
            LK(p, c)->up = from;
        replace_child(p, from, x, c);
    }
    p->n--;
    retrace(p, from);
}

void kv_spel_free_all(kv_spel *p)
{
    kv_snack *x = p->root;
    /* Post-order: free a leaf, cut it from its parent, go on from there. */
    while (x) {
        kv_spel_link *l = LK(p, x);
        kv_snack *up;
        if (l->left) {
            x = l->left;
        } else if (l->right) {
            x = l->right;
        } else {
            up = l->up;
            replace_child(p, up, x, NULL);
            free(x);
            x = up;
        }
    }
    p->root = NULL;
    p->n = 0;
}
