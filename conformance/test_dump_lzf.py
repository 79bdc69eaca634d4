"""DUMP payloads of LZF-compressed values must equal Redis 7.0.15's byte for
byte: Redis compresses RDB strings (and listpack/intset blobs) longer than
20 bytes with liblzf when the result fits in 4 bytes less, and stores them
raw otherwise.

The values come from a seeded generator written here (runs, periodic
patterns, text, small alphabets, random data with copied stretches, data
that compresses barely or not at all, 21 bytes to 100 KB); EXPECTED holds
the SHA1 of the payload a real Redis 7.0.15 gave for each. A live check
also compares payloads of many more generated values with a real Redis
(KEVY_PEER_REDIS=host:port, else a redis-server started by the test)."""

import hashlib

import pytest

from test_dump import peer  # noqa: F401  (the live Redis fixture)

M64 = (1 << 64) - 1


class Rng:
    """xorshift64*: the same bytes on every Python, for every run."""

    def __init__(self, seed):
        self.s = ((seed + 1) * 0x9E3779B97F4A7C15) & M64 or 1

    def next(self):
        x = self.s
        x ^= x >> 12
        x ^= (x << 25) & M64
        x ^= x >> 27
        self.s = x
        return (x * 0x2545F4914F6CDD1D) & M64

    def below(self, n):
        return self.next() % n

    def bytes(self, n):
        return b"".join(self.next().to_bytes(8, "little") for _ in range((n + 7) // 8))[:n]


WORDS = (b"the of and to in is that it was for on are with as his they be at one have "
         b"this from or had by hot word but what some we can out other were all there "
         b"when up use your how said an each she which do their time if will way about "
         b"many then them write would like so these her long make thing see him two has "
         b"look more day could go come did number sound no most people my over").split()


def periodic(seed, period, n):
    pat = Rng(seed).bytes(period)
    return (pat * (n // period + 1))[:n]


def text(seed, n):
    rng, out = Rng(seed), bytearray()
    while len(out) < n:
        out += WORDS[rng.below(len(WORDS))] + (b". " if rng.below(9) == 0 else b" ")
    return bytes(out[:n])


def alphabet(seed, size, n):
    rng = Rng(seed)
    return bytes(rng.below(size) + 97 for _ in range(n))


def copies(seed, n, count):
    """Random bytes with `count` stretches (3..300 bytes) copied from up to
    9000 bytes before: some within LZF's 8 KB window, some past it."""
    rng = Rng(seed)
    b = bytearray(rng.bytes(n))
    for _ in range(count):
        ln = 3 + rng.below(298)
        dst = rng.below(n)
        src = max(0, dst - 1 - rng.below(9000))
        seg = b[src:src + ln]
        b[dst:dst + len(seg)] = seg
    return bytes(b[:n])


def blocks(seed, n):
    """Runs of one byte, 1..400 long."""
    rng, out = Rng(seed), bytearray()
    while len(out) < n:
        out += bytes([rng.below(256)]) * (1 + rng.below(400))
    return bytes(out[:n])


def barely(seed, n, k):
    """Random bytes with one k-byte copy of bytes 1.. ending 2 before the
    end: around the k given below the result just fits in n - 4 or not."""
    b = bytearray(Rng(seed).bytes(n))
    dst = n - k - 2
    b[dst:dst + k] = b[1:1 + k]
    return bytes(b)


def twice(seed, pre, size, post):
    """x + x after pre bytes: the second copy's match runs to the end,
    where liblzf's 16-byte unrolled compare can overshoot its limit."""
    rng = Rng(seed)
    x = rng.bytes(size)
    return b"Z" * pre + x + x + rng.bytes(post)


def far(seed, gap):
    """A 40-byte stretch repeated `gap` bytes later: LZF reaches 8192 back."""
    rng = Rng(seed)
    x = rng.bytes(40)
    return b"A" + x + rng.bytes(gap) + x + b"tail"


SIZES = (21, 22, 23, 24, 25, 31, 32, 33, 34, 35, 36, 40, 63, 64, 65, 66, 67, 100, 255, 264,
         265, 266, 267, 268, 269, 300, 1000, 4095, 4096, 4097, 8192, 8193, 65536, 100000)
BARELY = {24: 10, 30: 10, 40: 10, 65: 11, 100: 12, 300: 18, 1000: 39, 5000: 159}


def cases():
    out = {}
    for n in SIZES:
        out["run-%d" % n] = b"a" * n
    for n in (21, 35, 100, 1000, 100000):
        out["digits-%d" % n] = b"1" * n
        out["decimal-%d" % n] = (b"1234567890" * (n // 10 + 1))[:n]
    for p in (1, 2, 3, 5, 7, 16, 31, 32, 33, 100, 263, 264, 265, 1000, 8191, 8192, 8193):
        for n in (21, 50, 300, 5000, 20000):
            if p < n:
                out["period-%d-%d" % (p, n)] = periodic(p, p, n)
    for n in (21, 30, 45, 64, 100, 250, 1000, 4096, 4097, 10000, 100000):
        out["text-%d" % n] = text(n, n)
    for size in (2, 4, 16, 64):
        for n in (21, 40, 100, 1000, 5000, 65537):
            out["alpha%d-%d" % (size, n)] = alphabet(size * 7 + n, size, n)
    for n, count in ((30, 1), (100, 2), (1000, 5), (4096, 20), (4097, 20), (20000, 60),
                     (100000, 200)):
        out["copies-%d" % n] = copies(n, n, count)
    for n in (21, 100, 1000, 10000, 100000):
        out["blocks-%d" % n] = blocks(n, n)
        out["random-%d" % n] = Rng(n).bytes(n)
    for n, flip in BARELY.items():
        for k in range(flip - 2, flip + 3):
            out["barely-%d-%d" % (n, k)] = barely(n, n, k)
    for size in (3, 8, 16, 17, 18, 19, 20, 21, 40):
        for pre in (0, 1, 2):
            for post in (0, 1, 2, 3):
                out["twice-%d-%d-%d" % (pre, size, post)] = twice(size, pre, size, post)
    for gap in (8100, 8150, 8151, 8152, 8153, 8190):
        out["far-%d" % gap] = far(gap, gap)
    out["mixed"] = text(1, 3000) + Rng(2).bytes(3000) + b"x" * 3000 + text(1, 3000)
    return out


CASES = cases()

# Case -> SHA1 of the DUMP payload Redis 7.0.15 gave for it.
EXPECTED = {
    "alpha16-100": "ec7007bded98a02dfa33eb57c2b6849ade0d1bac",
    "alpha16-1000": "2a97cbe6102cfcbc75505dbc3dd5a1a8870de3ae",
    "alpha16-21": "dab5bbc0135ddf56f8837b54293cfc989632c8da",
    "alpha16-40": "e0f99046d06a21fd1b1d42a252f64ee1888db9c6",
    "alpha16-5000": "8e90e47b1633445abb7066c5aac3553ffd8d9354",
    "alpha16-65537": "3d6f6cb826584257a2c2fbab048c8cbad4f4335f",
    "alpha2-100": "a12c3aa527479bd51c1300301ce54bbf5a448806",
    "alpha2-1000": "e77813f0b61ab584d1ee00fe68c0ffb9ab1b58da",
    "alpha2-21": "b80d7598a15fae576ae4b00ac7e3feda7630f531",
    "alpha2-40": "abd1439d98fc94b2fee0aedaa7b6ce22dc290e64",
    "alpha2-5000": "c2fa3978cea2ae154ed0aee671831516530891fe",
    "alpha2-65537": "62862f3ea79d9996a2729b2ff3fdcbbe4ab1d329",
    "alpha4-100": "29411bec7366c854077e0cabc13eb5a683b99772",
    "alpha4-1000": "3b225d75caa420898d729154284b9a313b4d4271",
    "alpha4-21": "e45641ff768cf1d80a0244a7d5a2b7f5b3071f30",
    "alpha4-40": "760c18d0cf866204022ffe8f23ae28837c34fe0f",
    "alpha4-5000": "d1749d6240efd28092debc5ac4e0b77d69cd5492",
    "alpha4-65537": "7c8882d811f137beadb990b24c192d5a111d4095",
    "alpha64-100": "5fa6fa3772193a3b3c3614c539f8494538b063d3",
    "alpha64-1000": "325aa2e21a786bf215c06343e5bffbcd443de7ae",
    "alpha64-21": "e1f170b32da85759bcc4abb3153143dd6be5469f",
    "alpha64-40": "fe99647787c335c59287c6efe27b8e0d71224415",
    "alpha64-5000": "6a31c63ad23b4144fd5efcde7c33269ec655d127",
    "alpha64-65537": "c191bcdd31ddf84663f23a9fe7a11ba526e41ffd",
    "barely-100-10": "42900c1737922679b7064044a2d32211acbf35a9",
    "barely-100-11": "e29891b46974f283fff067455f0360144e62c7d2",
    "barely-100-12": "ec80ef80f2a9582ae3f5b61eb48e3a4fdad97ebf",
    "barely-100-13": "cd9316646e62590affca1f4b39da081ed0746813",
    "barely-100-14": "e9d29bb2b195e43b2e73fcf4f890110aa39279a5",
    "barely-1000-37": "cf640fd1c561483bb1d9be45fdd83c101605441c",
    "barely-1000-38": "d363a3290a4b7e5aebb383a0ce63c7fa9f22ea63",
    "barely-1000-39": "f1cff610be44d57c279e5f99f9e4b729c25a0e6a",
    "barely-1000-40": "753437c431d56b922f37c11287949d6c47d160a1",
    "barely-1000-41": "69809a112e2389fa63f8e62a08b1e2826e9ff2d1",
    "barely-24-10": "d0419917df95f792ed8a9c6461145cb08789cfe2",
    "barely-24-11": "17cb16a965cf45ba5a70c598cc7de4e8ed81860d",
    "barely-24-12": "9bb2c4db31d12d306326a0a1544f059c212a0a4a",
    "barely-24-8": "91bcd5673829fab74475f33495dee9d444b48161",
    "barely-24-9": "e94539eac53132c791d5579b9b3c90494f892ce2",
    "barely-30-10": "6e96acc8c87772e402e07ea0aef5c0b9fcbc4b70",
    "barely-30-11": "eefea9e5cabeea85c2b492878caf411b91d4a27f",
    "barely-30-12": "429da6444741f8a2b6371a7994165f8ed88e7d07",
    "barely-30-8": "18c7853179e9ac4737f80db2914198706bfb21c1",
    "barely-30-9": "08c5acde7aad449fe8db2951ee1af262857ec3b1",
    "barely-300-16": "8ce6293276e4a1d341b5c5b620c6ee45a0b29aa9",
    "barely-300-17": "d6defc870ae59919422cca2288b742a9f96a160d",
    "barely-300-18": "82974173e33197ce1e937c26ecadccbfbcef3508",
    "barely-300-19": "7570f408c86538f20228cc30ad53c10151cd2063",
    "barely-300-20": "11a606ad377a5e2490c14969c7868e0270db38c3",
    "barely-40-10": "64f8e7cff0fac2eac3d1c8b232f845546575fcb2",
    "barely-40-11": "fddf3cc0e2d808273c9d76faaabb8920c40f45c7",
    "barely-40-12": "ff8199fa1013cfbd674c6dd203db5ee42b7112ea",
    "barely-40-8": "91ad31468b2ad460b324b6489b8615d3b71f555a",
    "barely-40-9": "0d866f7d0ad000f8592a28069b351fe0ff822271",
    "barely-5000-157": "1905a5c52ac1c92a29d632e69f5e967b06c7c61d",
    "barely-5000-158": "35267c86063baeb97a2874856d56b5f9a5a2a5f1",
    "barely-5000-159": "005ff51432535b3ae150d5486c125ff55f43cbbd",
    "barely-5000-160": "6df25feca2a7b0b2840212809eaf9c021e06c15d",
    "barely-5000-161": "c1d56222ac1ad1f8d6b0886fdf32775c74ebf8d2",
    "barely-65-10": "5dce18418faf3fa9c2179d533c9ee1b8698a0843",
    "barely-65-11": "df47345bab4474bb8e45eef056a8254422a979d0",
    "barely-65-12": "e78c116352a054a0792334f31d3d36c48db7a360",
    "barely-65-13": "3ddeffa6cc86599346a9247c38cf09bc85ef3428",
    "barely-65-9": "31716ed05ea596aeea4ab3a3bd7ecbe345ff0c6f",
    "blocks-100": "53ff9efecc75f8a7c2f1a0f7b80d6cfcc4341455",
    "blocks-1000": "6cb3d439b6548925f35de6980fd1f3785e1c7664",
    "blocks-10000": "f4a4bb25b53694e7e59ebd6b09b644be56421324",
    "blocks-100000": "934a8f35b01d1c5b910029f1b76eb4a60cc41e39",
    "blocks-21": "8d7bb3508f29812b4b24b60b128794378af78461",
    "copies-100": "d8c6887afebe457ef5186dd4258635ab187272ae",
    "copies-1000": "54b796e197bc11fd4415cd77420525b6dd948a31",
    "copies-100000": "6cba93d03b5b770aa653b9504d86eb84dae765bd",
    "copies-20000": "119efb0fff811768d49ef1beea7ae55a078304c5",
    "copies-30": "9ee252f39499baf1b1921ee3640520bc9c935a08",
    "copies-4096": "de177e731a222f3a683eb41f10dd450e5c27c285",
    "copies-4097": "37b26c5751d843187a03cbbf2631a579683d6822",
    "decimal-100": "61218cf4c6efd4826811b5eab995d7566759f672",
    "decimal-1000": "810ef0ed5570c8d4126ae7ed73eafa7229b88ec2",
    "decimal-100000": "0e2f8e85932b9e22ea385538697ad5bba8dc68b7",
    "decimal-21": "e86980d76fb150ac846175a6069cdd92ca66a951",
    "decimal-35": "b58a5a8c3fffecb3c18dcc585245b9ed06116b42",
    "digits-100": "a033d0715fba0aef1f09817a56f23d1395f885d3",
    "digits-1000": "1f6a52b516dba4a6a7b6ee94aa2faf0120e92be0",
    "digits-100000": "a33b1e570ccc228e45976c7e628f0390f06c8b33",
    "digits-21": "49dd8ab58e90115f0a77566505192638e6099b1e",
    "digits-35": "37e016b525f2aac69ed044784a793d7246a1cef8",
    "far-8100": "e578d0bf2d41dddc42da03135eecd8b489682da2",
    "far-8150": "aefc5f846ba5711640234029512423934e5b62bb",
    "far-8151": "6849711d5594c66c8ddf8a51c5a4fdff61ed865b",
    "far-8152": "11692aa79051b11293ebcceffa85f23ff4395f9a",
    "far-8153": "dc30fee5fc593e7d0f8995b63872a9b68a81cc86",
    "far-8190": "ee3b2ea2e02631938449eaa925b3e77a06ebc46a",
    "mixed": "4a88c1d50d7ec1f6a800215f67d3ecf70f294662",
    "period-1-20000": "fcecf4e6e62871f1bc05edcf92247f1658fbd2f0",
    "period-1-21": "cbef72c5a875b70c1fd7105ea4c2cb4a39e9f11e",
    "period-1-300": "29d8716fd6c8f6c227745aacacbc984fddbff887",
    "period-1-50": "ece594938728ac395464e47b63b1234ff08216eb",
    "period-1-5000": "2524c8dc66b5e186ddee866c26114c79e6cef35b",
    "period-100-20000": "8098ca59a225133a99d0debc66b7a7e439568c1c",
    "period-100-300": "70980bef2181b6a552a7090f0265e1aadd30b77b",
    "period-100-5000": "dda0aaa922540bbe677cd1d41a52adaf72c411b4",
    "period-1000-20000": "adf8426ffe4d496e685ed24ed33febe54523cb5f",
    "period-1000-5000": "813cd08185403fa08ec45ed78ee8c0f56cdea369",
    "period-16-20000": "07e237564a679430b438a9b551f6a6f6faec0f17",
    "period-16-21": "bfa41de2bfbfed72d1908ec80512045cec17eb52",
    "period-16-300": "a74a0b6f9f035e4d8ee2d95ac3ececc26ced96ff",
    "period-16-50": "da1f6fde5c95b1957d926d60e40709455cea96e9",
    "period-16-5000": "268888fdcd5d9f478f370f971fd15b941b0c8984",
    "period-2-20000": "9da6b3231bb616d4dfc92e2755cd09b90ff70e38",
    "period-2-21": "58f4abf38f5b3cf119a3f4b55a4b9abc50df2815",
    "period-2-300": "f01b60ffda68c5ab53bcc7794ae471390d05c46b",
    "period-2-50": "dc74146e112a6aa63cf612b32a132b77c8db05e7",
    "period-2-5000": "ab8678272bc96bfebc0f5d044dbc05e0abc16de7",
    "period-263-20000": "be98dbab1f00ddbd83e9d82082346938f57b3ddb",
    "period-263-300": "301d519ab1d3053c8d92a78d80be820099428a70",
    "period-263-5000": "039474ddccbf1382ad64af4d2f83f8d35a14c5b5",
    "period-264-20000": "26abdd5848d4939dc2f76b7cc4f5b1ea39d5dde7",
    "period-264-300": "cdd1defaed569aec62a6b387e2684b8d7e6c3d6f",
    "period-264-5000": "adf064927a710d73c4fac0d394b1f47e09b0519a",
    "period-265-20000": "eeea05e8566394443c23d76529ed7c2bad5ff511",
    "period-265-300": "b455664a1f0ff6b500cf5cb8d959bd75873748b9",
    "period-265-5000": "c8a4ae132913d03537287ec8afe5e8b2b4f0c47d",
    "period-3-20000": "ea8bbe11cb42f48e2151aecbf77ec85baa1c331a",
    "period-3-21": "ba3196f406a7ec7fa34bb148b5624d90079d4ea0",
    "period-3-300": "5189093c66fdc1ce061a4ec572acbc6be2b7c9a2",
    "period-3-50": "0a9a378a21dd3a63b59a9b4b7e688364fc0e2c32",
    "period-3-5000": "366aeb5875279ea394de26b6635d2457df434935",
    "period-31-20000": "e3cde1f8a3b99e680fdf8e822ee54b4d5e457ff6",
    "period-31-300": "4ba869b546d006684000a94c2fdcbf555f325bf9",
    "period-31-50": "beed26e988677d010cfe90357d0a03227a699be5",
    "period-31-5000": "1e5963fe19cdd9480a07f4380f2bbf1baf527709",
    "period-32-20000": "f41c51605b67dee459c6c12f8ba1f9053ccee29a",
    "period-32-300": "5e6c12c2213831b12cb1c1005764a134f5e11431",
    "period-32-50": "8f9851a21c4db164065cabd779c2c22596c6eb9d",
    "period-32-5000": "043c98319ec3076268dfb68e9a972a9e2cb188e7",
    "period-33-20000": "a6a443ac441d593bb87999253e2f3c862d24ce7f",
    "period-33-300": "5f6f383e2d954b7e2c5f9628d7753a83c8d10562",
    "period-33-50": "5540c621c2411a3d172b7f0554e5ee620d2cee2c",
    "period-33-5000": "8a8ec2287209adb1fa5c483f554450e4dc76f432",
    "period-5-20000": "fa18d767dd324975de6c4b81ce1d216a03636bd5",
    "period-5-21": "fbdc188ba69d98222104345a8af049a59034a4c1",
    "period-5-300": "97063f6de1dff8effcf14522a163575bf5d336e1",
    "period-5-50": "67a9c43308421fcc17144513906f9fa7230f1898",
    "period-5-5000": "f026480cc5fc90fb53ddd47053643e57859b470a",
    "period-7-20000": "7793906f1cdcf875e58f1a7f17e76a51ff9a1a7f",
    "period-7-21": "440ce8bc143b9a4fc04df833210a8e6b4c3d5702",
    "period-7-300": "bc631baec28cd45dd81b3d33fefbebb0a6983bcf",
    "period-7-50": "e7d16ed649f0aff663f286c31e61d4fb0f91152b",
    "period-7-5000": "991726fffc1a8a1f53a9402bd8afa4472076af9b",
    "period-8191-20000": "3bd6fc9f73445162bd1c55317886837e2665c403",
    "period-8192-20000": "e63321dd27a61aa1ccb99eaba4434f9718770e20",
    "period-8193-20000": "1a856ac1c15040ac14fa5d9b6c5e8da1f5e64efa",
    "random-100": "9c5efc5f7dc8e0861493e5b8e72986263d9ce5b7",
    "random-1000": "92edcb85a4d275f75b3f33e5897938be51144bf5",
    "random-10000": "f97c05f4cb0232b963f19187725f428086cd8184",
    "random-100000": "c2ab32ef2a69e91566fc327fb06b206feb8e4730",
    "random-21": "2d4fb421fc7853a970f9d3a16ff02ac3a5507519",
    "run-100": "67822674f987f73cf58355615acfbf7d690c2818",
    "run-1000": "537e5b80e20a23b262785f12578072cbf368a6ad",
    "run-100000": "cd2dc19c2f21a5b34da97a876df1c28684a3248e",
    "run-21": "dfc1c3bf76c4d95b5923bdf1aa08d1f92422768f",
    "run-22": "e11bfa1feddf04c4edad6de3a9def646c9afa352",
    "run-23": "b1cfe5b89540f8eae154a759e26aeac885f0789b",
    "run-24": "b09d1b7b7e65ec32ba960a116df72db35862849e",
    "run-25": "03ed545af93bd1f57e0c277dc4adad76cc902f53",
    "run-255": "89a24ca65c28ab4b6dbe98c46f54fb693ee1d23a",
    "run-264": "356204a37e554d11a664ab3b91380144f591e4e5",
    "run-265": "6c1bdc039d0708822955f012cf80080cdb453afb",
    "run-266": "3c5096a5df808c80462056a51defa12aec936d2f",
    "run-267": "c0faab54cad17244491bd834e275287545989cb0",
    "run-268": "e3c28d1117d1284f7ceea2c33ac21bac3d13402b",
    "run-269": "47cfd66e7336dcf98f6f9a8bb11046d0466e5721",
    "run-300": "a5a584b91bbbd7336300dbba539d51d4ac475606",
    "run-31": "4c22a3bcd4bd79f526912dea200f75cf16770559",
    "run-32": "863cd54302da980677b60e18f66bd45907a2c50c",
    "run-33": "573784e6ed864e6233c055edb90cd5c14d2b85f2",
    "run-34": "fd9dcc425dda632d799c8a57c1df6e6127203c62",
    "run-35": "e883b5260b549d9c6a942e594c53f556073bfceb",
    "run-36": "6233c92406f4624ae30b5cefe79423a54e5651ac",
    "run-40": "1a9775a52b224fbda719f56002d2da9debbc1fda",
    "run-4095": "164f3047cf9d7117bb4f48f65651eb52619f9431",
    "run-4096": "4fd495bf947c58f37d7b02e5c3f3a8cdeaca2e62",
    "run-4097": "92e24df2bd482ceadd3f7617a3cb41ec6f9939bf",
    "run-63": "d785dc097400d1e5cd4de85f651c0946624b8d6e",
    "run-64": "f7450db417ac16d6c12f91d85558b9008553f75c",
    "run-65": "612cbe7ca62e94034d2718311a368f3427aab1cc",
    "run-65536": "c48da665467cee46eda4b2cef5cf5b5880a6a15b",
    "run-66": "b0a3d55c6920a0effa4abe01b36f55fd4ee6a6d0",
    "run-67": "8d1933995cbadcdd026ae6e6f5963a1cce48ecd3",
    "run-8192": "54fdb4a7f819899997a663df839167ae9ca73aca",
    "run-8193": "091aab03208f5345d48f768d6f4ea6e5e00b3c01",
    "text-100": "5114f0577cc6c7ca71331895e24f18a7d31a0be5",
    "text-1000": "01be2941fcfd4d2b5ee724f265e878b62fbb9e54",
    "text-10000": "6863249647ffa4b986780f721430c3e5de3b6521",
    "text-100000": "810f06748c75f361c4ceede6055b2b9d99055381",
    "text-21": "8ee8590b488513be30531714d5d85d9d6cbca836",
    "text-250": "77bd83e0410e58984bca1dd2b47800cd620ede7e",
    "text-30": "dc376ae188dd653773de90550a416cb945ab58d3",
    "text-4096": "f2154ad367321adbfba9ffb891b69b9f202fdb53",
    "text-4097": "bfd836c5b1f8ac5e5694c14243dbb9ef1eff31fc",
    "text-45": "2e4dff293da71a571c93a86dfb82e36b9fc44203",
    "text-64": "78525dd06288ef9a9676615b5a144f653bc3c8a7",
    "twice-0-16-0": "26fd5e1f75bbc2854421290c3e86f37fa915fcd1",
    "twice-0-16-1": "d04c0b80c47b77f16ceb7d2f324c64d015564134",
    "twice-0-16-2": "f3785b20a0b74a4a5a8b98cca4652aec3c629fd3",
    "twice-0-16-3": "a150dd675a9ae293294e34d634dfe532e0c72861",
    "twice-0-17-0": "5d683dab355cb7a19535182f84598e78e3189d65",
    "twice-0-17-1": "4c8e0b819b7e94e6f313a70f1b7e4e824071e172",
    "twice-0-17-2": "0c186345f5bb61f06abba2288f027cc9c42efe8a",
    "twice-0-17-3": "f8f5964c5a6aecaf795030b8202d64accc1ca121",
    "twice-0-18-0": "160044f325c1e0ba63aa4b0eb3985977928186f9",
    "twice-0-18-1": "a00a981b4b6adacdb17cc7d49a7a94a24f7a16c1",
    "twice-0-18-2": "39c70e26f04dddd36cf91b13dff2889e81fccc19",
    "twice-0-18-3": "35bcf11d326ed06c6bccf66c8476853e940ed4f6",
    "twice-0-19-0": "8536255a6402cd343c4f5c0af5c41f1315989c58",
    "twice-0-19-1": "78ff89c6337602f77056748caf6aea3b18c1dbf4",
    "twice-0-19-2": "e4188c275ba36728eb9b6d5f34a0c617ec6388cd",
    "twice-0-19-3": "81533d55e62b65ce78ac9a519269e61192d92421",
    "twice-0-20-0": "803f4bfa650d04916a76abf1b3b7f5afbb4c7a84",
    "twice-0-20-1": "cd585a2fd1341d5c3d1a3f8fafb55d98cd4ed74f",
    "twice-0-20-2": "f01da1277328f96e109b7a16ef257859bb8ae788",
    "twice-0-20-3": "674b38b19a09ecace7b6ba2f32057028fc72298b",
    "twice-0-21-0": "100c0ea667d3725f8b20f360d080dd7da09c28b2",
    "twice-0-21-1": "57a5660b22e528454574a611b5f71c0437df34b3",
    "twice-0-21-2": "5e62be203274aa9828108cfaf8bf06cce2ca7dd5",
    "twice-0-21-3": "10761fcec82edeae4102245a38d272c0a2f94b3f",
    "twice-0-3-0": "bf1032edd7df65b704b3800f83fe10452d5e840d",
    "twice-0-3-1": "8881cb46e6d08583ba748d10c905b9c37cf6198b",
    "twice-0-3-2": "bd2dd782b592b44dbac60b452ebdf915b46f0b6a",
    "twice-0-3-3": "4ca2c38ea0a3d2e42097941c77287b8818ec36e5",
    "twice-0-40-0": "4fca19658a64d43366614738f4316c3d1c67b305",
    "twice-0-40-1": "b2a1648e50788b04ea7276bdfe12f143b64ca912",
    "twice-0-40-2": "157226c7d8339d39a655ca7cf01c7e13f492d5d0",
    "twice-0-40-3": "de164353ae9afac1034d5347547d905069657802",
    "twice-0-8-0": "4520869b74078a30bd91f97c4e045d5a020ee19b",
    "twice-0-8-1": "9d08aa14814c68fd2a3578839b8cae0bc8d408e3",
    "twice-0-8-2": "b611403f3c727f0d559958c126303023a3bca38a",
    "twice-0-8-3": "685c8010602c5504d80ca3bcaa04ab80c2f37b74",
    "twice-1-16-0": "14f837dd39c7028d3cc26ce33a795e99e7ce7939",
    "twice-1-16-1": "b8cf6331571b73ab5b08f20e64ff7fe4eda08d28",
    "twice-1-16-2": "33b1660847896f93ce4d4a5d761597672bff8289",
    "twice-1-16-3": "622761289295c96d37201dca76d81b95679cf131",
    "twice-1-17-0": "d59b407b0ab748e39217060388816bb5d8766f4f",
    "twice-1-17-1": "cd8576c206ecdca79a204c443f01fdb6ee2b9718",
    "twice-1-17-2": "9b74666a8f68c33ad812d9735615f94f0d3f8ddd",
    "twice-1-17-3": "747bbe644b800803837166bcca66f41cf2c1a053",
    "twice-1-18-0": "cbc4728d2da26b0b182e25a81259e8ee9fb2ffd7",
    "twice-1-18-1": "b089e3d3cd55ebf97a67689257b79acc82f5bc35",
    "twice-1-18-2": "6081dd28c0df5a9ea1b09fd0c5f43fe3b185f437",
    "twice-1-18-3": "6f01e6b4107fa87ff5941a3dae52a1cffa9a7fd5",
    "twice-1-19-0": "1db7b7cb04dda0c83f05d76bb23c76e32ce14d0a",
    "twice-1-19-1": "8d9d8fb6050f29b7d48c0bc2bcf66011c8983b7a",
    "twice-1-19-2": "32f478d46de56222c6498b78c1c4bc84c84727ef",
    "twice-1-19-3": "ff2fd86434d97a12a230c89d6793af5ee91b5a1d",
    "twice-1-20-0": "4130ab908f81cbf03edae7dcaf29098d3c3d2bb6",
    "twice-1-20-1": "3bdf98b21e3311288663a220d4b06f9f66f41abf",
    "twice-1-20-2": "b25c5cc3d9870fb7db89c5518475004083cc978e",
    "twice-1-20-3": "eb51b5a7b9e5a24fa091787fac87ce7e9226b185",
    "twice-1-21-0": "9e308602e1470357d7087fd106ab67e556741e3b",
    "twice-1-21-1": "25bb406f1a4a4402c41cb1d0fb7c87962385361c",
    "twice-1-21-2": "f1248b4f11bcada5b0b7428a805ba790e3df2df4",
    "twice-1-21-3": "3d09c73d48cb87693c9e21dab63d05ee7da88318",
    "twice-1-3-0": "1ebe4393b1bc4b7437dbb8b404975f31590f09c3",
    "twice-1-3-1": "cd7b7d9c8bf08631c077a93142252038eb803774",
    "twice-1-3-2": "67623eeba821bd44279bb4a4061fe0c18b01e0f7",
    "twice-1-3-3": "7c2ae793aadc5eed7696b7a7dadd9eae780644a1",
    "twice-1-40-0": "0bcbe5fa6f8ef3c4dac9204bdd8e913bef032243",
    "twice-1-40-1": "b7229753f4b09cb78d73752c72ac6ca36578de5b",
    "twice-1-40-2": "2c330aea33f6d85922e30e9694275ebe91a33ef0",
    "twice-1-40-3": "53d2980835f795095e908aee552517c2671231f2",
    "twice-1-8-0": "21280d63dda7ccda0a73c19e9f852ccfd0b09ab9",
    "twice-1-8-1": "1e0c78053b1037592d042b9d16853588f3f84114",
    "twice-1-8-2": "103f9869d3fe5f2552e63ae3840d2af233900ba1",
    "twice-1-8-3": "baa1b10f1050143df6f07d4e06873f43df8c164b",
    "twice-2-16-0": "c133550a9e2ebe66caf0343e0a8786f1111f3ac8",
    "twice-2-16-1": "34feffd61394ad8004746cdd21934d41908b88aa",
    "twice-2-16-2": "0b56f5e1ae7dda35e588e50cc2731a9d73024bbe",
    "twice-2-16-3": "23b90d96711d495bdc08494b37c72fe311863bb1",
    "twice-2-17-0": "cc07e5a58da623c573f6b1e6eda5784252ee6e21",
    "twice-2-17-1": "dac0588097ff2e255a64b57c220f880c0be4b7b1",
    "twice-2-17-2": "45a5f2b0d08ef149f6977b699f8d8c9c0bd223cc",
    "twice-2-17-3": "3e3676dc8c864775a4278e8b4aa0e6e6c3ec4faa",
    "twice-2-18-0": "832cd062a35cacfcc0e7f040da61623218b8f6e9",
    "twice-2-18-1": "75e436dea8762a90328764290acc5ce8b3365b69",
    "twice-2-18-2": "b9dd6753a3c4a79104c523a57c57803e2ea35ce8",
    "twice-2-18-3": "584f2be864c066a5d5153b99136a79113cbfd803",
    "twice-2-19-0": "b71c7cdbb580929f9a5ed771a1d51917a363b8af",
    "twice-2-19-1": "c5e763cf13e23d44b91970a17aaaf5762085d39b",
    "twice-2-19-2": "8ec5228e57933d8acb2b836dfb8bed35e1510932",
    "twice-2-19-3": "c7bef5a4cb5cfee5149af45febdc47ccf778e91d",
    "twice-2-20-0": "43cca229a3b44f20ce9c42ba301db733eb00bb51",
    "twice-2-20-1": "987cbc8acf99832b904bcf2a1af7156ddcefa425",
    "twice-2-20-2": "a31e3e2346775dafbe12dd7d2db3fb279d2529f8",
    "twice-2-20-3": "b033bfe0d16d9ec37c644150e241ec1568fa7838",
    "twice-2-21-0": "911e0fb40ee50055e84e54e27b172ddc1ff78e09",
    "twice-2-21-1": "1a5d28f8493e2e9c7449929725f73c150d20b9ef",
    "twice-2-21-2": "21e5243dc2390c0f76551d8e8f9a4c9ea40b3f7c",
    "twice-2-21-3": "914aa894106cf4caf4d28e154774f330367114fe",
    "twice-2-3-0": "a534318eca4353e60924d384451208592b770d81",
    "twice-2-3-1": "17e04c69d72314c3c8c7af25ba49499072aeb5ba",
    "twice-2-3-2": "3f77d1f807dd5669bb964331817728189a5b5beb",
    "twice-2-3-3": "c271616d06d9fb5e773de6f75932ac6d522654f8",
    "twice-2-40-0": "eecf809152732811c4af149ac52168fb36416898",
    "twice-2-40-1": "49ed9668731a40b5021ca5be216c07f0ec041b88",
    "twice-2-40-2": "d2e6c5662fcf581d3e3ee1d39f6ab2c1e05fb36e",
    "twice-2-40-3": "1942942c80f9bbec39d81fa0d436a043c22bffe3",
    "twice-2-8-0": "ae9f8d7f5abdc40af655f8436f0d72788a51445a",
    "twice-2-8-1": "018399546305b191d9b52fe8fd0ce314d5d16d9e",
    "twice-2-8-2": "160c5f1c4cefea02983ce1d001fec7819392ecda",
    "twice-2-8-3": "a6846f9cd494fa7d9620a129da14d059c065a35e",
}


def _sha1(b):
    return hashlib.sha1(b).hexdigest()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dump_lzf_matches_redis(r, name):
    v = CASES[name]
    key = "lzf:" + name
    r.set(key, v)
    payload = r.dump(key)
    assert _sha1(payload) == EXPECTED[name], name
    assert r.restore(key + ":back", 0, payload) == b"OK"
    assert r.get(key + ":back") == v


def test_table_covers_every_case():
    """The table was taken from Redis for exactly the values generated here
    (239 of them compressed, 71 stored raw)."""
    assert sorted(EXPECTED) == sorted(CASES)


# Collections whose listpack/intset blob Redis LZF-compresses (and one it
# cannot shorten, stored raw).
COLLECTIONS = {
    "hash-listpack": (lambda c, k: c.hset(k, mapping={"field:%d" % i: "value" * 3
                                                      for i in range(20)})),
    "hash-text": (lambda c, k: c.hset(k, mapping={"f%d" % i: text(i, 40) for i in range(8)})),
    "list-listpack": (lambda c, k: c.rpush(k, *([b"abcabc"] * 50 + [text(3, 60)]))),
    "zset-listpack": (lambda c, k: c.zadd(k, {"member:%d" % i: i % 7 for i in range(60)})),
    "intset-16-raw": (lambda c, k: c.sadd(k, *range(1000, 1000 + 64 * 256, 256))),
    "intset-64": (lambda c, k: c.sadd(k, *[(1 << 40) + i for i in range(100)])),
}
COLLECTION_EXPECTED = {
    "hash-listpack": "352cf0ea172dc58f30730a3ba018b662054caf8b",
    "hash-text": "fb3caca3d7271d4149177fa0cb489a8a560d885c",
    "intset-16-raw": "cae14b6738b536fb3d6a0705f1f1e5ca44af4208",
    "intset-64": "7c6536ef031cf9280013a6498cd25642b78eeb58",
    "list-listpack": "cf60cf9845dae78581bb8785db7b97b2cf64c527",
    "zset-listpack": "ede16637c0b0ebc995b1c4588776a504ebae759a",
}


@pytest.mark.parametrize("name", sorted(COLLECTION_EXPECTED))
def test_dump_lzf_collections_match_redis(r, name):
    key = "lzfc:" + name
    COLLECTIONS[name](r, key)
    assert _sha1(r.dump(key)) == COLLECTION_EXPECTED[name]


def live_values(count):
    rng, out = Rng(2024), []
    for i in range(count):
        kind = i % 8
        n = 21 + rng.below((60, 600, 6000, 70000)[rng.below(4)])
        if kind == 0:
            out.append(alphabet(i, 2, n))
        elif kind == 1:
            out.append(periodic(i, 1 + rng.below(40), n))
        elif kind == 2:
            out.append(text(i, n))
        elif kind == 3:
            out.append(copies(i, n, rng.below(30)))
        elif kind == 4:
            out.append(alphabet(i, 4, n))
        elif kind == 5:
            out.append(blocks(i, n))
        elif kind == 6:
            out.append(barely(i, n, 3 + rng.below(min(n - 5, 200))) if n < 8000 else Rng(i).bytes(n))
        else:
            out.append(twice(i, rng.below(3), 1 + rng.below(n // 2), rng.below(4)))
    return out


def test_live_lzf_cross_check(r, peer):  # noqa: F811
    """Many more generated values: the payload equals a real Redis's."""
    peer.delete("kevy:lzf")
    for i, v in enumerate(live_values(240)):
        r.set("lzf:live", v)
        peer.set("kevy:lzf", v)
        assert r.dump("lzf:live") == peer.dump("kevy:lzf"), (i, len(v), v[:40])
    peer.delete("kevy:lzf")
