/* tools/arena/data.c - dataset.json into the item table (openat(2) and
 * read(2) at start-up, one anonymous mmap(2) for every table), and the
 * /json body rendered from it per request.
 * Read next: tools/arena/routes.c.
 */
#include "data.h"

#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* One mapping: the struct, the node table, the strings, the file. */
#define ARENA_MAP_SIZE                                                                             \
	(((sizeof(struct arena_data) + 4095) & ~(size_t)4095) +                                    \
	 (size_t)ARENA_MAX_NODES * sizeof(struct arena_json_node) + ARENA_STR_MAX +                \
	 ARENA_FILE_MAX)

static int arena_read_all(int fd, char *buf, uint32_t cap, uint32_t *len)
{
	uint32_t n = 0;
	for (;;) {
		/* One byte more than fits: reading it means the file is too large. */
		long r = sys_read(fd, buf + n, cap - n);
		if (r < 0)
			return (int)r;
		if (r == 0)
			break;
		n += (uint32_t)r;
		if (n == cap)
			return -ENOSPC;
	}
	*len = n;
	return 0;
}

/* The items array: the document itself, or its "items". */
static int arena_items_node(const struct arena_json *j)
{
	if (j->nodes[0].kind == ARENA_JSON_ARRAY)
		return 0;
	int k = arena_json_get(j, 0, "items");
	return k >= 0 && j->nodes[k].kind == ARENA_JSON_ARRAY ? k : -1;
}

static int arena_int_field(const struct arena_json *j, uint32_t obj, const char *key, int64_t *v)
{
	int k = arena_json_get(j, obj, key);
	if (k < 0 || j->nodes[k].kind != ARENA_JSON_NUMBER || !j->nodes[k].is_int)
		return -1;
	*v = j->nodes[k].i;
	return 0;
}

static int arena_data_index(struct arena_data *d, const char *path)
{
	const struct arena_json *j = &d->json;
	int arr = arena_items_node(j);
	if (arr < 0) {
		rk_dprint(2,
			  "rocket-arena: %s: not an array of items (nor an object with "
			  "\"items\")\n",
			  path);
		return -1;
	}
	for (uint32_t k = (uint32_t)arr + 1; k < j->nodes[arr].end; k = j->nodes[k].end) {
		struct arena_item *it = &d->items[d->nitems];
		if (d->nitems == ARENA_MAX_ITEMS) {
			rk_dprint(2, "rocket-arena: %s: more than %u items\n", path,
				  ARENA_MAX_ITEMS);
			return -1;
		}
		it->node = k;
		if (arena_int_field(j, k, "price", &it->price) < 0 ||
		    arena_int_field(j, k, "quantity", &it->quantity) < 0) {
			rk_dprint(2,
				  "rocket-arena: %s: item %u is not an object with integer "
				  "\"price\" and \"quantity\"\n",
				  path, d->nitems + 1);
			return -1;
		}
		d->nitems++;
	}
	return 0;
}

int arena_data_load(struct arena_data **out, const char *dir)
{
	char path[4096];
	if (rk_fmt(path, sizeof(path), "%s/dataset.json", dir) >= sizeof(path) - 1) {
		rk_dprint(2, "rocket-arena: --data %s: path too long\n", dir);
		return -1;
	}
	char *m = sys_mmap(0, ARENA_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	if (rk_is_err(m)) {
		rk_dprint(2, "rocket-arena: cannot map the data set's tables: %s\n",
			  rk_errno_name(rk_ptr_err(m)));
		return -1;
	}
	struct arena_data *d = (struct arena_data *)m;
	m += (sizeof(*d) + 4095) & ~(size_t)4095;
	d->json.nodes = (struct arena_json_node *)m;
	d->json.cap = ARENA_MAX_NODES;
	m += (size_t)ARENA_MAX_NODES * sizeof(struct arena_json_node);
	d->json.str = m;
	d->json.str_cap = ARENA_STR_MAX;
	d->file = m + ARENA_STR_MAX;

	int fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	int err = fd < 0 ? fd : arena_read_all(fd, d->file, ARENA_FILE_MAX, &d->file_len);
	if (fd >= 0)
		sys_close(fd);
	if (err < 0) {
		rk_dprint(2, "rocket-arena: %s: %s\n", path,
			  err == -ENOSPC ? "larger than 4 MiB" : rk_errno_name(err));
		goto fail;
	}
	size_t at = 0;
	err = arena_json_parse(&d->json, d->file, d->file_len, &at);
	if (err < 0) {
		rk_dprint(2, "rocket-arena: %s: %s at byte %u\n", path,
			  err == -ENOSPC ? "too many values or string bytes" : "not valid JSON",
			  (unsigned)at);
		goto fail;
	}
	if (arena_data_index(d, path) < 0)
		goto fail;
	/* The longest answer: every item, each total at its widest (20
	 * characters, where m = 1 gave at least one). */
	char *scratch = d->json.str + d->json.str_len;
	long len = arena_data_json(d, d->nitems, 1, scratch, d->json.str_cap - d->json.str_len);
	if (len == -ERANGE) {
		rk_dprint(2, "rocket-arena: %s: an item's price x quantity overflows 64 bits\n",
			  path);
		goto fail;
	}
	if (len < 0 || (uint64_t)len + 19ull * d->nitems > ARENA_BODY_MAX) {
		rk_dprint(2,
			  "rocket-arena: %s: the answer for all %u items could outgrow "
			  "%u bytes\n",
			  path, d->nitems, ARENA_BODY_MAX);
		goto fail;
	}
	*out = d;
	return 0;
fail:
	sys_munmap(d, ARENA_MAP_SIZE);
	return -1;
}

long arena_data_json(const struct arena_data *d, uint32_t count, int64_t m, char *buf, uint32_t cap)
{
	const struct arena_json *j = &d->json;
	struct arena_out o = { .p = buf, .cap = cap };
	uint32_t n = RK_MIN(count, d->nitems);
	arena_out_raw(&o, "{\"items\":[", 10);
	for (uint32_t i = 0; i < n; i++) {
		const struct arena_item *it = &d->items[i];
		int64_t total;
		if (__builtin_mul_overflow(it->price, it->quantity, &total) ||
		    __builtin_mul_overflow(total, m, &total))
			return -ERANGE;
		arena_out_raw(&o, i ? ",{" : "{", i ? 2 : 1);
		const struct arena_json_node *obj = &j->nodes[it->node];
		for (uint32_t k = it->node + 1; k < obj->end; k = j->nodes[k + 1].end) {
			const struct arena_json_node *key = &j->nodes[k];
			if (key->len == 5 && !rk_memcmp(key->p, "total", 5))
				continue;
			arena_out_str(&o, key->p, key->len);
			arena_out_raw(&o, ":", 1);
			arena_json_write(&o, j, k + 1);
			arena_out_raw(&o, ",", 1);
		}
		arena_out_raw(&o, "\"total\":", 8);
		arena_out_i64(&o, total);
		arena_out_raw(&o, "}", 1);
	}
	arena_out_raw(&o, "],\"count\":", 10);
	arena_out_i64(&o, n);
	arena_out_raw(&o, "}", 1);
	return o.full ? -ENOSPC : (long)o.len;
}
