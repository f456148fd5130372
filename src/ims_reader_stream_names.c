
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The member names of the open objects, for the streaming reader
 * (ims_reader_stream.c): each object's names are kept, decoded, in
 * records on the scratch, and a name is looked up among its object's
 * before it is added: JSON allows a repeated name, jansson refuses it,
 * and Glance would take the last one.
 *
 * The six member names of an operation have no record: a bit each in
 * "op_members" tells their duplicates, and no other name can equal them.
 *
 * A record is [u32 next][u8 len, or 0xff and u32 len][bytes].  "next" is
 * 0, or in a hashed object the link in its bucket's chain, newest first.
 * The chains of all open hashed objects share the table: an object's names
 * are the newest in every chain, so a lookup stops at the first record
 * older than the object, and closing the object restores each bucket it
 * touched from its oldest name's "next".
 */


#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/random.h>
#endif

#include "ims_reader_stream.h"


/* a linear scan is faster than hashing for the few members of most objects */
#define IMS_STREAM_LINEAR   8


static uint64_t  ims_stream_key[2];


static ims_inline uint32_t
ims_get32(const ims_uchar_t *p)
{
    uint32_t  n;

    memcpy(&n, p, sizeof(uint32_t));

    return n;
}


static ims_inline void
ims_put32(ims_uchar_t *p, uint32_t n)
{
    memcpy(p, &n, sizeof(uint32_t));
}


/* the name in a record; the next record starts right after it */

static ims_inline const ims_uchar_t *
ims_record_name(const ims_uchar_t *r, size_t *len)
{
    if (r[4] != 0xff) {
        *len = r[4];
        return r + IMS_RECORD_HEAD;
    }

    *len = ims_get32(r + IMS_RECORD_HEAD);

    return r + IMS_RECORD_HEAD + 4;
}


/*
 * SipHash-1-3 with a per-process random key: member names are client
 * input, and a predictable hash would let a body put every name of a big
 * object into one chain.
 */

#define IMS_ROTL(x, b)  (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

#define IMS_SIPROUND                                                         \
    v0 += v1; v1 = IMS_ROTL(v1, 13); v1 ^= v0; v0 = IMS_ROTL(v0, 32);       \
    v2 += v3; v3 = IMS_ROTL(v3, 16); v3 ^= v2;                              \
    v0 += v3; v3 = IMS_ROTL(v3, 21); v3 ^= v0;                              \
    v2 += v1; v1 = IMS_ROTL(v1, 17); v1 ^= v2; v2 = IMS_ROTL(v2, 32)


static uint32_t
ims_stream_hash(const ims_stream_t *s, const ims_uchar_t *p, size_t len)
{
    uint64_t            v0, v1, v2, v3, m, b;
    const ims_uchar_t  *last;

    v0 = s->hash_key[0] ^ 0x736f6d6570736575ULL;
    v1 = s->hash_key[1] ^ 0x646f72616e646f6dULL;
    v2 = s->hash_key[0] ^ 0x6c7967656e657261ULL;
    v3 = s->hash_key[1] ^ 0x7465646279746573ULL;

    b = (uint64_t) len << 56;

    /* host byte order: the hash never leaves the process */
    for (last = p + (len & ~(size_t) 7); p < last; p += 8) {
        memcpy(&m, p, sizeof(uint64_t));
        v3 ^= m;
        IMS_SIPROUND;
        v0 ^= m;
    }

    switch (len & 7) {
    case 7: b |= (uint64_t) p[6] << 48;     /* fall through */
    case 6: b |= (uint64_t) p[5] << 40;     /* fall through */
    case 5: b |= (uint64_t) p[4] << 32;     /* fall through */
    case 4: b |= (uint64_t) p[3] << 24;     /* fall through */
    case 3: b |= (uint64_t) p[2] << 16;     /* fall through */
    case 2: b |= (uint64_t) p[1] << 8;      /* fall through */
    case 1: b |= (uint64_t) p[0];           /* fall through */
    default: break;
    }

    v3 ^= b;
    IMS_SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    IMS_SIPROUND;
    IMS_SIPROUND;
    IMS_SIPROUND;

    return (uint32_t) (v0 ^ v1 ^ v2 ^ v3);
}


/* by ims_core_init(): the nginx master's key is its workers' */

void
ims_stream_seed(void)
{
    struct timespec  ts;

#if defined(__linux__)
    if (getrandom(ims_stream_key, sizeof(ims_stream_key), GRND_NONBLOCK)
        == (ssize_t) sizeof(ims_stream_key))
    {
        return;
    }
#endif

    /*
     * No entropy source: the clock, pid and ASLR are unknown to clients.
     * Not run by the tests: Linux has had getrandom() since 3.17.
     */
    clock_gettime(CLOCK_REALTIME, &ts);     /* GCOVR_EXCL_START */

    ims_stream_key[0] = ((uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL)
                        ^ (uint64_t) ts.tv_sec ^ (uintptr_t) &ts;
    ims_stream_key[1] = ((uint64_t) getpid() * 0xc2b2ae3d27d4eb4fULL)
                        ^ (uintptr_t) ims_stream_seed;
}                                           /* GCOVR_EXCL_STOP */


/* the process's key, for a new reader */

void
ims_stream_hash_key(uint64_t key[2])
{
    key[0] = ims_stream_key[0];
    key[1] = ims_stream_key[1];
}


static void
ims_stream_rehash(ims_stream_t *s, ims_stream_frame_t *f)
{
    size_t              len;
    uint32_t           *b;
    ims_uchar_t        *r;
    const ims_uchar_t  *name;

    if (!s->buckets_ready) {
        memset(s->buckets, 0, (s->bucket_mask + 1) * sizeof(uint32_t));
        s->buckets_ready = 1;
    }

    /* oldest first, so that each chain stays newest first */
    for (r = s->base + f->keys; r < s->rec_top;
         r = (ims_uchar_t *) name + len)
    {
        name = ims_record_name(r, &len);
        b = &s->buckets[ims_stream_hash(s, name, len) & s->bucket_mask];
        ims_put32(r, *b);
        *b = (uint32_t) (r - s->base);
    }

    f->flags |= IMS_FRAME_HASHED;
}


void
ims_stream_unhash(ims_stream_t *s, ims_stream_frame_t *f)
{
    size_t              len;
    uint32_t            next;
    const ims_uchar_t  *r, *name;

    for (r = s->base + f->keys; r < s->rec_top; r = name + len) {
        name = ims_record_name(r, &len);
        next = ims_get32(r);

        /* the object's oldest name in its chain */
        if (next < f->keys) {
            s->buckets[ims_stream_hash(s, name, len) & s->bucket_mask] = next;
        }
    }
}


/* closes the record of a name whose bytes end at dst; NULL: no room */

ims_uchar_t *
ims_stream_record(ims_stream_t *s, ims_uchar_t *dst, size_t *len)
{
    size_t        n;
    ims_uchar_t  *rec, *bytes;

    rec = s->record;
    bytes = rec + IMS_RECORD_HEAD;
    n = dst - bytes;

    if (n < 0xff) {
        rec[4] = (ims_uchar_t) n;

    } else {
        if (s->str_bottom - dst < 4) {
            return NULL;
        }

        memmove(bytes + 4, bytes, n);
        rec[4] = 0xff;
        ims_put32(bytes, (uint32_t) n);
        bytes += 4;
    }

    *len = n;
    s->rec_top = bytes + n;

    return bytes;
}


/* a name other than the six of an operation: a repeat in its object? */

int
ims_stream_name(ims_stream_t *s, const ims_uchar_t *name, size_t n)
{
    size_t               len;
    uint32_t             off, *b;
    ims_uchar_t         *rec;
    const ims_uchar_t   *r, *other;
    ims_stream_frame_t  *f;

    rec = s->record;
    f = &s->frames[s->depth];

    if (f->flags & IMS_FRAME_HASHED) {
        b = &s->buckets[ims_stream_hash(s, name, n) & s->bucket_mask];

        for (off = *b; off >= f->keys; off = ims_get32(s->base + off)) {
            other = ims_record_name(s->base + off, &len);

            if (len == n && memcmp(other, name, n) == 0) {
                return IMS_SE_DUPLICATE;
            }
        }

        ims_put32(rec, *b);
        *b = (uint32_t) (rec - s->base);

    } else {
        ims_put32(rec, 0);

        for (r = s->base + f->keys; r < rec; r = other + len) {
            other = ims_record_name(r, &len);

            if (len == n && memcmp(other, name, n) == 0) {
                return IMS_SE_DUPLICATE;
            }
        }

        if (f->nkeys == IMS_STREAM_LINEAR) {
            ims_stream_rehash(s, f);
        }
    }

    f->nkeys++;

    return IMS_SE_NONE;
}
