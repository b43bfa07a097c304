/* tests/test_static_clients.c - real clients against `rocket --root` (the
 * product when it is built) serving a small site: a page with a
 * stylesheet, a script and a PNG image. curl fetches each with and without
 * gzip, wget mirrors the page and its requisites, ab -k and h2load --h1
 * load it with keep-alive, headless Chromium renders it: the script reads
 * the stylesheet's computed colour and the image's size into the page,
 * which --dump-dom shows. A client that is not installed is skipped with a
 * message (tools/bench/static installs them; apt-get: curl wget
 * apache2-utils nghttp2-client chromium).
 */
#include "static_help.h"

static bool have(const char *cmd)
{
	char sh[128];
	snprintf(sh, sizeof(sh), "command -v %s >/dev/null 2>&1", cmd);
	if (system(sh) == 0)
		return true;
	printf("  %s is not installed: skipped\n", cmd);
	return false;
}

/* Run a shell command; its stdout (and stderr), NUL-terminated, malloc'd. */
static char *run(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	CHECK(p);
	size_t cap = 1 << 16, n = 0, k;
	char *b = malloc(cap);
	while ((k = fread(b + n, 1, cap - n - 1, p)) > 0)
		if ((n += k) + 1 >= cap)
			b = realloc(b, cap *= 2);
	b[n] = 0;
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return b;
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

static void be32(uint8_t *o, uint32_t v)
{
	o[0] = (uint8_t)(v >> 24), o[1] = (uint8_t)(v >> 16), o[2] = (uint8_t)(v >> 8),
	o[3] = (uint8_t)v;
}

/* A w x h PNG of one colour; its zlib stream of stored (uncompressed)
 * deflate blocks, so no zlib is needed (RFC 1950, 1951 §3.2.4). */
static void put_png(struct tree *t, const char *rel, unsigned w, unsigned h, uint32_t rgb)
{
	size_t raw_n = (size_t)h * (1 + 3 * w), n = 0;
	uint8_t *raw = malloc(raw_n), *png = malloc(raw_n + 1024), *z = malloc(raw_n + 512);
	for (unsigned y = 0; y < h; y++) {
		uint8_t *row = raw + (size_t)y * (1 + 3 * w);
		row[0] = 0;
		for (unsigned x = 0; x < w; x++) {
			row[1 + 3 * x] = (uint8_t)(rgb >> 16);
			row[2 + 3 * x] = (uint8_t)(rgb >> 8);
			row[3 + 3 * x] = (uint8_t)rgb;
		}
	}
	size_t zn = 0;
	z[zn++] = 0x78, z[zn++] = 0x01;
	for (size_t off = 0; off < raw_n;) {
		size_t k = raw_n - off < 65535 ? raw_n - off : 65535;
		z[zn++] = off + k == raw_n;
		z[zn++] = (uint8_t)k, z[zn++] = (uint8_t)(k >> 8);
		z[zn++] = (uint8_t)~k, z[zn++] = (uint8_t)(~k >> 8);
		memcpy(z + zn, raw + off, k);
		zn += k, off += k;
	}
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < raw_n; i++)
		a = (a + raw[i]) % 65521, b = (b + a) % 65521;
	be32(z + zn, b << 16 | a);
	zn += 4;
	uint8_t ihdr[13] = { 0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0 };
	be32(ihdr, w);
	be32(ihdr + 4, h);
	struct {
		const char *type;
		const uint8_t *d;
		size_t len;
	} chunks[] = { { "IHDR", ihdr, 13 }, { "IDAT", z, zn }, { "IEND", 0, 0 } };
	memcpy(png, "\x89PNG\r\n\x1a\n", 8);
	n = 8;
	for (int c = 0; c < 3; c++) {
		be32(png + n, (uint32_t)chunks[c].len);
		memcpy(png + n + 4, chunks[c].type, 4);
		if (chunks[c].len)
			memcpy(png + n + 8, chunks[c].d, chunks[c].len);
		be32(png + n + 8 + chunks[c].len, crc32_of(png + n + 4, 4 + chunks[c].len));
		n += 12 + chunks[c].len;
	}
	put_n(t, rel, png, n);
	free(raw);
	free(png);
	free(z);
}

static const char page[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Rocket static</title>\n"
	"<link rel=\"stylesheet\" href=\"css/site.css\"></head>\n"
	"<body><h1>Served by Rocket</h1>\n"
	"<p>Every open, stat and read of this page went through io_uring.</p>\n"
	"<img id=\"logo\" src=\"img/logo.png\" alt=\"logo\">\n"
	"<p id=\"out\">script did not run</p>\n"
	"<script src=\"js/app.js\"></script></body></html>\n";
static const char css[] =
	"body { background: rgb(18, 52, 86); color: rgb(250, 240, 200); font: 24px sans-serif;"
	" margin: 40px; }\nh1 { color: rgb(255, 200, 40); }\n"
	"img { border: 6px solid rgb(255, 200, 40); width: 240px; }\n";
static const char js[] =
	"window.addEventListener('load', function () {\n"
	"  var img = document.getElementById('logo');\n"
	"  document.getElementById('out').textContent = 'script ran; background ' +\n"
	"    getComputedStyle(document.body).backgroundColor + '; image ' + img.naturalWidth +\n"
	"    'x' + img.naturalHeight;\n"
	"});\n";

static void make_site(struct tree *t)
{
	tree_make(t);
	put(t, "index.html", page);
	mkdir_in(t, "css");
	mkdir_in(t, "js");
	mkdir_in(t, "img");
	put(t, "css/site.css", css);
	put(t, "js/app.js", js);
	put_png(t, "img/logo.png", 120, 60, 0x33cc66);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "gzip -9 -k -n %s/css/site.css %s/js/app.js", t->root, t->root);
	CHECK(system(cmd) == 0);
}

static int start_site(struct proc *p, struct tree *t)
{
	const char *bin = proc_bin_static() ? proc_bin_static() : proc_bin_hosted();
	const char *const args[] = { "--root", t->root, 0 };
	return srv_start_bin(p, bin, t, args);
}

TEST(curl_fetches_the_page_and_its_assets_plain_and_gzipped)
{
	if (!have("curl"))
		return;
	struct tree t;
	struct proc p;
	int st;
	make_site(&t);
	int port = start_site(&p, &t);
	const char *files[] = { "/", "/css/site.css", "/js/app.js", "/img/logo.png" };
	for (unsigned i = 0; i < 4; i++) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd),
			 "curl -sS --compressed -o %s/got -w '%%{http_code} %%{content_type}' "
			 "http://127.0.0.1:%d%s && cmp %s/got %s%s && echo SAME",
			 t.dir, port, files[i], t.dir, t.root, i ? files[i] : "/index.html");
		char *out = run(cmd, &st);
		CHECK_MSG(st == 0 && !strncmp(out, "200 ", 4) && strstr(out, "SAME"), "%s: %s",
			  files[i], out);
		free(out);
	}
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "curl -sS -H 'Accept-Encoding: gzip' -D - -o /dev/null "
		 "http://127.0.0.1:%d/css/site.css",
		 port);
	char *out = run(cmd, &st);
	CHECK_MSG(strcasestr(out, "Content-Encoding: gzip"), "%s", out);
	free(out);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(wget_mirrors_the_page_with_its_requisites)
{
	if (!have("wget"))
		return;
	struct tree t;
	struct proc p;
	int st;
	make_site(&t);
	int port = start_site(&p, &t);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && wget -q -p -nH -P mirror http://127.0.0.1:%d/ && "
		 "cmp mirror/index.html root/index.html && cmp mirror/css/site.css "
		 "root/css/site.css && "
		 "cmp mirror/img/logo.png root/img/logo.png && cmp mirror/js/app.js root/js/app.js "
		 "&& "
		 "echo MIRRORED",
		 t.dir, port);
	char *out = run(cmd, &st);
	CHECK_MSG(st == 0 && strstr(out, "MIRRORED"), "%s", out);
	free(out);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(ab_keep_alive_and_h2load_h1_get_every_answer)
{
	struct tree t;
	struct proc p;
	int st;
	make_site(&t);
	int port = start_site(&p, &t);
	char cmd[512];
	if (have("ab")) {
		snprintf(cmd, sizeof(cmd),
			 "ab -q -k -n 2000 -c 16 http://127.0.0.1:%d/img/logo.png 2>&1", port);
		char *out = run(cmd, &st);
		CHECK_MSG(st == 0 && strstr(out, "Complete requests:      2000") &&
				  strstr(out, "Failed requests:        0") &&
				  strstr(out, "Keep-Alive requests:    2000"),
			  "%s", out);
		free(out);
	}
	if (have("h2load")) {
		snprintf(cmd, sizeof(cmd),
			 "h2load --h1 -n 2000 -c 16 -m 4 "
			 "-H 'Accept-Encoding: gzip' http://127.0.0.1:%d/css/site.css 2>&1",
			 port);
		char *out = run(cmd, &st);
		CHECK_MSG(st == 0 && strstr(out, "2000 succeeded, 0 failed, 0 errored"), "%s", out);
		CHECK_MSG(strstr(out, "status codes: 2000 2xx"), "%s", out);
		free(out);
	}
	proc_stop(&p);
	tree_remove(&t);
}

/* Chromium loads the page, its stylesheet, its script and its image: the
 * script (run at load) writes the computed background and the image's
 * natural size into the page. A screenshot is taken too. */
TEST_T(headless_chromium_renders_the_page_with_its_css_js_and_image, 120)
{
	if (!have("chromium"))
		return;
	struct tree t;
	struct proc p;
	int st;
	make_site(&t);
	int port = start_site(&p, &t);
	char cmd[1024];
	const char *flags = "--headless --no-sandbox --disable-gpu --disable-background-networking "
			    "--no-first-run --user-data-dir=%s/chrome";
	char f[256];
	snprintf(f, sizeof(f), flags, t.dir);
	snprintf(cmd, sizeof(cmd),
		 "timeout 60 chromium %s --dump-dom http://127.0.0.1:%d/ 2>/dev/null", f, port);
	char *out = run(cmd, &st);
	CHECK_MSG(strstr(out, "script ran; background rgb(18, 52, 86); image 120x60"), "DOM:\n%s",
		  out);
	free(out);
	const char *shot = getenv("ROCKET_SCREENSHOT");
	char def[128];
	snprintf(def, sizeof(def), "%s/shot.png", t.dir);
	snprintf(cmd, sizeof(cmd),
		 "timeout 60 chromium %s --window-size=800,500 --screenshot=%s "
		 "http://127.0.0.1:%d/ >/dev/null 2>&1; test -s %s",
		 f, shot ? shot : def, port, shot ? shot : def);
	CHECK_MSG(system(cmd) == 0, "no screenshot");
	printf("  screenshot %s\n", shot ? shot : def);
	proc_stop(&p);
	tree_remove(&t);
}
