/* Set values: their encodings and operations on them. (The commands are in
 * src/cmd; this module owns the data structures.) */
#include <stdlib.h>

#include "store/object.h"

void kv_set_free_value(kv_obj *o)
{
    free(kv_obj_ptr(o));
}
