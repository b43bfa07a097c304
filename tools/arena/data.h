/* tools/arena/data.h - HttpArena's data set for /json: DIR/dataset.json is
 * read once at start-up (a blocking read, off any request's path) into a
 * bounded table, and every /json answer is serialized from that table per
 * request, with its computed "total" (the profile forbids pre-rendered
 * answers). Read next: tools/arena/data.c, then tools/arena/routes.h.
 */
#ifndef ROCKET_ARENA_DATA_H
#define ROCKET_ARENA_DATA_H

#include <stdint.h>

#include "json.h"

#define ARENA_FILE_MAX  (4u << 20) /* bytes of dataset.json */
#define ARENA_MAX_NODES (1u << 16) /* JSON values in it */
#define ARENA_STR_MAX   (1u << 20) /* decoded string bytes in it */
#define ARENA_MAX_ITEMS 1024u
/* The longest /json body, whatever count and m: a data set whose answer
 * could outgrow it is refused at start-up. It is rendered on the reactor's
 * stack (256 KiB, src/rt/thread.c). */
#define ARENA_BODY_MAX (64u << 10)

struct arena_item {
	uint32_t node;           /* the item's object in json.nodes */
	int64_t price, quantity; /* its integer "price" and "quantity" */
};

struct arena_data {
	struct arena_json json;
	char *file; /* dataset.json as read: numbers point into it */
	uint32_t file_len;
	uint32_t nitems;
	struct arena_item items[ARENA_MAX_ITEMS];
};

/* Map the tables and read dir/dataset.json: a JSON array of objects (or an
 * object whose "items" is one), each with integer "price" and "quantity".
 * Returns 0, or -1 after printing the cause (file, offset, item) on fd 2. */
int arena_data_load(struct arena_data **out, const char *dir);

/* The /json/{count}?m=M body into buf[0..cap):
 *   {"items":[{...the item's fields...,"total":T},...],"count":N}
 * with the first N = min(count, nitems) items, T = price * quantity * m
 * (an item's own "total", if any, is replaced). Returns the length,
 * -ERANGE (a total does not fit int64) or -ENOSPC (cap too small). */
long arena_data_json(const struct arena_data *d, uint32_t count, int64_t m, char *buf,
		     uint32_t cap);

#endif
