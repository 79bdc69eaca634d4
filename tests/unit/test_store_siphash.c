/* Unit tests for the store's keyed hash: SipHash-2-4 against the published
 * reference vectors (checks the shared core) and SipHash-1-3, the variant the
 * tables use, against vectors from two independent implementations. */
#include <stdint.h>
#include <string.h>

#include "store/siphash.h"
#include "test.h"

/* SipHash-2-4 reference vectors (Aumasson & Bernstein's vectors.h): key
 * 00..0f, input 00 01 .. (i-1) for i = 0..63. */
static const uint64_t sip24_ref[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
    0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

/* SipHash-1-3 vectors from an independent implementation: CPython 3.11's
 * bytes hash (siphash13). PYTHONHASHSEED=0 gives the all-zero key;
 * PYTHONHASHSEED=1 gives the key below (CPython's LCG from seed 1). Input
 * 00 01 .. (i-1) for i = 1..64 (CPython hashes b"" to 0 without SipHash). */
/* i = 1..64, key all zero */
static const uint64_t sip13_zero[64] = {
    0x68a914128e01e473ULL, 0x010bac45c41e3669ULL, 0x4d4c9a4a8ef6e0adULL,
    0x7cc43f98813e4dbdULL, 0x5abe2169dff36275ULL, 0xe3c25f87624f1cdbULL,
    0x2f098ab0c751325aULL, 0xead411e67ebe2eeaULL, 0x75927f9d95124362ULL,
    0xaf9f77a65ab51a1dULL, 0xfe64ce8b6617fcffULL, 0xa6baf4fb0f9fe1c2ULL,
    0xa0cf3211850f8e0dULL, 0x7f86049379fbfe67ULL, 0xf30eb725bb91c9eaULL,
    0x8972188433a5c5b7ULL, 0x4883c49a2c009c1dULL, 0xadc2c0b63044067dULL,
    0x091f4a3329f87d19ULL, 0x639e355ae68c0100ULL, 0xb17bef2cb5213239ULL,
    0xf8aeb1066236ccfeULL, 0x37332b1389daa4ffULL, 0x31185a47af932f3aULL,
    0xebf352e82ae23e2fULL, 0xed36ff242fe478b2ULL, 0x2454d97d299299dfULL,
    0x8cd57fe8130d0ac7ULL, 0xbe98eb2faf0a0e85ULL, 0xd427c34ee09470c6ULL,
    0x169739443111d49bULL, 0x31ef8061c910629bULL, 0x7fb71d24dfa4c9f6ULL,
    0x92771f49e836d389ULL, 0x3c393cf6f0853bc3ULL, 0xac77921fcc642bd3ULL,
    0x422a9751192ff266ULL, 0xc680ae8a8c584ddfULL, 0x6c76b6d34bb6d26bULL,
    0x95bc321ab41d8206ULL, 0x908a3a97a6d37669ULL, 0xfcaf3c64874dd0b4ULL,
    0xf689479b32b84a44ULL, 0xd857641079efd1fdULL, 0x8b581578722633f7ULL,
    0x83cb09d35ea7bcd4ULL, 0x8485f7f5ae725a0dULL, 0xfe1f2445ba50237fULL,
    0x23cece041d7866b0ULL, 0x416687480b336c09ULL, 0xf15960da7e7f3892ULL,
    0xded6177b9826835aULL, 0xf80dae51668be6beULL, 0x17ecc6ee6647df18ULL,
    0x5220d642b4a52110ULL, 0xa4f0cf4ba4adc016ULL, 0xe5125bb26d1f2976ULL,
    0x851b0e75f580d256ULL, 0x12605250a37e39acULL, 0xd95a713568daebf1ULL,
    0xcdcf4a42ec0dd605ULL, 0xa5c708712b617164ULL, 0x385d3e39e5f37359ULL,
    0x75e05fd5bbc870c6ULL,
};
/* i = 1..64, key {41, 35, 190, 132, 225, 108, 214, 174, 82, 144, 73, 241, 241, 187, 233, 235} */
static const uint64_t sip13_key1[64] = {
    0xecd3e5afcecda4b9ULL, 0xbf360f1ea1745965ULL, 0x8d5b20ab227ba858ULL,
    0x968a3280faeeb716ULL, 0xbbda3b5f513c3d69ULL, 0xa77f099d6ffed90eULL,
    0xfd15e78052a69ddfULL, 0xc0b5739e7e28dd01ULL, 0x208a1a5a0cbbf778ULL,
    0xb99907ab3e3e597cULL, 0x4d9ec6e9c5127521ULL, 0x9b07906e87e344adULL,
    0x75973ed5708eb192ULL, 0x3a6b5d52e1c90862ULL, 0xfa87985f39e97a53ULL,
    0x12e9d283f9f37002ULL, 0x9f5bb4237f61907fULL, 0xc8481dd155697ab5ULL,
    0xea61ba56131a6619ULL, 0xcd48cd0e7a31cb04ULL, 0x6194f8d23abbab99ULL,
    0x8d7773f9524a6d91ULL, 0xf7cea028f939ae8cULL, 0x19b4e5f288f874ceULL,
    0x50b56154544f388aULL, 0x77496e873461377fULL, 0x6d4615212085f9adULL,
    0x6a5c3ee2b7a57839ULL, 0x36b3d9ecaf57a817ULL, 0xc835e0d53af23864ULL,
    0xb8c17103f21d8810ULL, 0xf78bafba3c64318eULL, 0x936512292dbf5292ULL,
    0xf63914dd809bd6abULL, 0x2354e6a0cbd484d9ULL, 0x93fbdf55374406c1ULL,
    0x34fc9e9b6378daf4ULL, 0xabd250c1d59c6915ULL, 0x8007881b2e60feb5ULL,
    0xdb056b8b4f38310bULL, 0xfe17eabf81e4441fULL, 0x66f2754501c5d69bULL,
    0x127212ea4d69e4f8ULL, 0xc3509aecc2c5c591ULL, 0x5c740871eb467b9cULL,
    0x4ff12bec78680a4eULL, 0xacd7205078164704ULL, 0xe29343c400d583a7ULL,
    0x244adbfcbf30eafbULL, 0xc671475c59b87490ULL, 0xc633d235edae7e87ULL,
    0x79b978091f1bd2efULL, 0x328e0c2d2169873bULL, 0x68a800cc80990278ULL,
    0x03ae1ab550cf8bfbULL, 0xc2fa1af5b2d267caULL, 0xe1b2200d147d8cf0ULL,
    0x73d7c5272b8f916dULL, 0x32b56d696fd24742ULL, 0x170b665166692c85ULL,
    0x1d069a16efd713d7ULL, 0xd0b0b38a3f95181dULL, 0x542052345bc68274ULL,
    0x7e644b6edc375dc8ULL,
};
static const uint8_t sip13_key1_key[16] = {41, 35, 190, 132, 225, 108, 214, 174,
                                           82, 144, 73, 241, 241, 187, 233, 235};

static void test_siphash24_reference(void)
{
    uint8_t key[16], in[64];
    int i;
    for (i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (i = 0; i < 64; i++)
        in[i] = (uint8_t)i;
    for (i = 0; i < 64; i++)
        CHECK(kv_siphash24(in, (size_t)i, key) == sip24_ref[i]);
}

static void test_siphash13_vectors(void)
{
    uint8_t zero[16], in[64];
    int i;
    memset(zero, 0, sizeof zero);
    for (i = 0; i < 64; i++)
        in[i] = (uint8_t)i;
    for (i = 1; i <= 64; i++) {
        CHECK(kv_siphash(in, (size_t)i, zero) == sip13_zero[i - 1]);
        CHECK(kv_siphash(in, (size_t)i, sip13_key1_key) == sip13_key1[i - 1]);
    }
    /* Zero key, from a third implementation's tests (a Rust sip-hash crate). */
    CHECK(kv_siphash("", 0, zero) == 0xd1fba762150c532cULL);
    CHECK(kv_siphash("siphash", 7, zero) == 0x8264ceeccb16bcbeULL);
    /* Unaligned input reads the same bytes. */
    {
        uint8_t buf[80];
        memcpy(buf + 3, in, 64);
        CHECK(kv_siphash(buf + 3, 37, zero) == sip13_zero[36]);
    }
}

TEST_MAIN("siphash",
          TEST(test_siphash24_reference),
          TEST(test_siphash13_vectors))
