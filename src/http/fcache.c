/* src/http/fcache.c - each reactor's cache of open files, as nginx's
 * open_file_cache: a file's fd and statx, or a name's ENOENT, kept by name
 * for the second it was looked up in, so a hot request costs no OPENAT2,
 * STATX or CLOSE; and small files' bytes, read once into the reactor's
 * arena (--file-cache bytes), sent from there as borrowed bytes.
 *
 * No locks: each reactor has its own (in its server state). An entry is
 * fresh for the unix second it was opened in; after that the next request
 * opens and stats the name again (the kernel's RESOLVE_BENEATH still
 * guards every lookup), and an unchanged file keeps its entry and bytes,
 * a changed one (inode, device, size, mtime, ctime) gets a new entry: a
 * change is served within a second, and an answer's bytes always belong to
 * the statx its head was made from. An entry that answers still in flight
 * hold (refs) outlives its eviction; its fd is closed, its pages freed, at
 * the last answer's end. Read next: src/http/static.c.
 */
#include "internal.h"
#include "rocket/sys.h"
#include "rocket/util.h"

#define RK_FC_FREE    0 /* on no list */
#define RK_FC_LIVE    1 /* findable by name */
#define RK_FC_RETIRED 2 /* replaced or evicted, answers still in flight */

static uint32_t rk_fc_hash(int root, const char *k, size_t n)
{
	uint32_t h = 2166136261u ^ (uint32_t)root; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	return h;
}

static uint32_t *rk_fc_bucket(struct rk_fcache *fc, uint32_t h)
{
	return &fc->buckets[h & (fc->nbuckets - 1)];
}

/* Pages [p, p + n) of the arena taken (on) or given back. */
static void rk_fc_mark(struct rk_fcache *fc, uint32_t p, uint32_t n, bool on)
{
	for (uint32_t i = p; i < p + n; i++) {
		uint64_t bit = 1ull << (i & 63);
		fc->map[i >> 6] = on ? fc->map[i >> 6] | bit : fc->map[i >> 6] & ~bit;
	}
}

static void rk_fc_release(struct rk_fcache *fc, struct rk_fc_ent *e)
{
	if (e->fd >= 0)
		sys_close(e->fd);
	e->fd = -1;
	if (e->npages)
		rk_fc_mark(fc, e->page, e->npages, false);
	e->npages = 0;
	e->filled = false;
	e->state = RK_FC_FREE;
}

/* Off the name's chain; freed now, or once its last answer is done. */
static void rk_fc_unlink(struct rk_fcache *fc, struct rk_fc_ent *e)
{
	uint32_t idx = (uint32_t)(e - fc->ents) + 1;
	for (uint32_t *l = rk_fc_bucket(fc, e->hash); *l; l = &fc->ents[*l - 1].next) {
		if (*l == idx) {
			*l = e->next;
			break;
		}
	}
	e->state = RK_FC_RETIRED;
	if (!e->refs)
		rk_fc_release(fc, e);
}

static struct rk_fc_ent *rk_fc_lookup(struct rk_fcache *fc, int root, const char *k, size_t n,
				      uint32_t h)
{
	for (uint32_t i = *rk_fc_bucket(fc, h); i; i = fc->ents[i - 1].next) {
		struct rk_fc_ent *e = &fc->ents[i - 1];
		if (e->hash == h && e->root == root && e->klen == n && !rk_memcmp(e->key, k, n))
			return e;
	}
	return 0;
}

struct rk_fc_ent *rk_fc_find(struct rk_fcache *fc, int root, const char *key, size_t n, int64_t now)
{
	if (!fc->nents || n > RK_FC_KEY)
		return 0;
	struct rk_fc_ent *e = rk_fc_lookup(fc, root, key, n, rk_fc_hash(root, key, n));
	if (!e || e->checked != now)
		return 0;
	e->used = now;
	fc->hits++;
	return e;
}

/* A free entry: a never-used one, else the least recently used entry no
 * answer holds. NULL when every entry is in flight. */
static struct rk_fc_ent *rk_fc_take(struct rk_fcache *fc)
{
	struct rk_fc_ent *best = 0;
	for (uint32_t i = 0; i < fc->nents; i++) {
		struct rk_fc_ent *e = &fc->ents[i];
		if (e->state == RK_FC_FREE)
			return e;
		if (e->state == RK_FC_LIVE && !e->refs && (!best || e->used < best->used))
			best = e;
	}
	if (best) {
		rk_fc_unlink(fc, best);
		fc->evictions++;
	}
	return best;
}

static bool rk_fc_same(const struct statx *a, const struct statx *b)
{
	return a->stx_ino == b->stx_ino && a->stx_size == b->stx_size &&
	       a->stx_dev_major == b->stx_dev_major && a->stx_dev_minor == b->stx_dev_minor &&
	       a->stx_mtime.tv_sec == b->stx_mtime.tv_sec &&
	       a->stx_mtime.tv_nsec == b->stx_mtime.tv_nsec &&
	       a->stx_ctime.tv_sec == b->stx_ctime.tv_sec &&
	       a->stx_ctime.tv_nsec == b->stx_ctime.tv_nsec && a->stx_mode == b->stx_mode;
}

struct rk_fc_ent *rk_fc_store(struct rk_fcache *fc, int root, const char *key, size_t n,
			      int64_t now, int fd, int err, const struct statx *stx)
{
	if (!fc->nents || n > RK_FC_KEY)
		return 0;
	fc->misses++;
	uint32_t h = rk_fc_hash(root, key, n);
	struct rk_fc_ent *e = rk_fc_lookup(fc, root, key, n, h);
	if (e && e->err == err && (err || rk_fc_same(&e->stx, stx))) {
		/* Unchanged: the entry (its fd or bytes) serves on. */
		e->checked = e->used = now;
		if (fd >= 0)
			sys_close(fd);
		return e;
	}
	if (e)
		rk_fc_unlink(fc, e); /* changed: answers in flight keep the old one */
	e = rk_fc_take(fc);
	if (!e)
		return 0;
	*e = (struct rk_fc_ent){ .fc = fc,
				 .hash = h,
				 .root = root,
				 .fd = fd,
				 .err = err,
				 .checked = now,
				 .used = now,
				 .klen = (uint16_t)n,
				 .state = RK_FC_LIVE };
	if (stx)
		e->stx = *stx;
	rk_memcpy(e->key, key, n);
	uint32_t *b = rk_fc_bucket(fc, h);
	e->next = *b;
	*b = (uint32_t)(e - fc->ents) + 1;
	return e;
}

/* A run of n free pages (first fit), or RK_POOL_NONE. */
static uint32_t rk_fc_pages(const struct rk_fcache *fc, uint32_t n)
{
	uint32_t run = 0;
	for (uint32_t i = 0; i < fc->npages; i++) {
		run = fc->map[i >> 6] & (1ull << (i & 63)) ? 0 : run + 1;
		if (run == n)
			return i + 1 - n;
	}
	return RK_POOL_NONE;
}

uint8_t *rk_fc_reserve(struct rk_fcache *fc, struct rk_fc_ent *e)
{
	uint64_t size = e->stx.stx_size;
	if (!size || size > fc->max_file || e->npages || e->fd < 0)
		return 0;
	uint32_t n = (uint32_t)((size + RK_PAGE - 1) / RK_PAGE), p;
	/* No room: drop the bytes of the least recently used files no answer
	 * holds, until a run is free or none is left to drop. */
	while ((p = rk_fc_pages(fc, n)) == RK_POOL_NONE) {
		struct rk_fc_ent *lru = 0;
		for (uint32_t i = 0; i < fc->nents; i++) {
			struct rk_fc_ent *o = &fc->ents[i];
			if (o->state == RK_FC_LIVE && o->npages && !o->refs &&
			    (!lru || o->used < lru->used))
				lru = o;
		}
		if (!lru)
			return 0;
		rk_fc_unlink(fc, lru);
		fc->evictions++;
	}
	rk_fc_mark(fc, p, n, true);
	e->page = p;
	e->npages = n;
	return fc->arena + (size_t)p * RK_PAGE;
}

void rk_fc_filled(struct rk_fcache *fc, struct rk_fc_ent *e, bool ok)
{
	if (!ok) { /* short, failed, or the file changed under the read */
		if (e->state == RK_FC_LIVE)
			rk_fc_unlink(fc, e);
		return;
	}
	e->filled = true; /* its fd closes once no answer reads it (rk_fc_put) */
	fc->fills++;
}

const uint8_t *rk_fc_bytes(const struct rk_fcache *fc, const struct rk_fc_ent *e)
{
	return fc->arena + (size_t)e->page * RK_PAGE;
}

void rk_fc_hold(struct rk_fc_ent *e)
{
	e->refs++;
}

void rk_fc_put(struct rk_fc_ent *e)
{
	if (--e->refs)
		return;
	if (e->state == RK_FC_RETIRED) {
		rk_fc_release(e->fc, e);
	} else if (e->filled && e->fd >= 0) {
		sys_close(e->fd); /* the bytes are here; the next check opens anew */
		e->fd = -1;
	}
}

void rk_fc_exit(struct rk_fcache *fc)
{
	for (uint32_t i = 0; i < fc->nents; i++)
		if (fc->ents[i].state != RK_FC_FREE)
			rk_fc_release(fc, &fc->ents[i]);
}
