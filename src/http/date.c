/* src/http/date.c - HTTP-dates of RFC 9110 §5.6.7 by pure arithmetic (no
 * libc, no time zone: HTTP dates are always GMT): the IMF-fixdate written
 * for Date and Last-Modified, and all three forms read for the conditional
 * fields. The civil-from-days and days-from-civil conversions are
 * H. Hinnant's "chrono-Compatible Low-Level Date Algorithms" (proleptic
 * Gregorian). Read next: src/http/status.c.
 */
#include <rocket/abi/linux.h>
#include <rocket/http.h>
#include <rocket/util.h>

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: four-digit years only. */
#define MIN_T (-62167219200LL)
#define MAX_T 253402300799LL

static void two(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

static const char wday_abbr[] = "ThuFriSatSunMonTueWed"; /* day 0 = Thursday */
static const char mon_abbr[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

struct civil {
	int64_t y;
	unsigned m, d; /* 1..12, 1..31 */
};

static struct civil civil_from_days(int64_t days)
{
	/* Shift the epoch to 0000-03-01 so leap days fall at a year's end. */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
	struct civil c;
	c.y = (int64_t)yoe + era * 400;
	c.d = doy - (153 * mp + 2) / 5 + 1;
	c.m = mp < 10 ? mp + 3 : mp - 9;
	if (c.m <= 2)
		c.y++;
	return c;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * 146097 + (int64_t)doe - 719468;
}

void rk_http_date(char out[RK_HTTP_DATE_LEN], int64_t t)
{
	int64_t days, secs;
	unsigned w;
	struct civil c;

	if (t < MIN_T)
		t = MIN_T;
	if (t > MAX_T)
		t = MAX_T;
	/* floor division, so times before 1970 land on the right day */
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	w = (unsigned)(((days % 7) + 7) % 7);
	c = civil_from_days(days);

	for (int i = 0; i < 3; i++) {
		out[i] = wday_abbr[w * 3 + (unsigned)i];
		out[8 + i] = mon_abbr[(c.m - 1) * 3 + (unsigned)i];
	}
	out[3] = ',';
	out[4] = ' ';
	two(out + 5, c.d);
	out[7] = ' ';
	out[11] = ' ';
	two(out + 12, (unsigned)(c.y / 100));
	two(out + 14, (unsigned)(c.y % 100));
	out[16] = ' ';
	two(out + 17, (unsigned)(secs / 3600));
	out[19] = ':';
	two(out + 20, (unsigned)(secs / 60 % 60));
	out[22] = ':';
	two(out + 23, (unsigned)(secs % 60));
	out[25] = ' ';
	out[26] = 'G';
	out[27] = 'M';
	out[28] = 'T';
}

/* ---- reading ------------------------------------------------------------- */

/* n decimal digits at p, or -1. */
static int64_t digits(const char *p, unsigned n)
{
	int64_t v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* The month of a three-letter name ("Jan" = 1; case-sensitive, §5.6.7), or 0. */
static unsigned month(const char *p)
{
	for (unsigned i = 0; i < 12; i++)
		if (p[0] == mon_abbr[i * 3] && p[1] == mon_abbr[i * 3 + 1] &&
		    p[2] == mon_abbr[i * 3 + 2])
			return i + 1;
	return 0;
}

static bool is_wday(const char *p, size_t n)
{
	static const char *const full[] = { "Thursday", "Friday",  "Saturday", "Sunday",
					    "Monday",   "Tuesday", "Wednesday" };
	for (unsigned i = 0; i < 7; i++) {
		size_t len = n == 3 ? 3 : rk_strlen(full[i]);
		if (len == n && rk_memcmp(p, n == 3 ? wday_abbr + i * 3 : full[i], n) == 0)
			return true;
	}
	return false;
}

/* "hh:mm:ss" -> seconds of the day, or -1. A leap second (60) is allowed;
 * it reads as the first second of the next minute. */
static int64_t time_of_day(const char *p)
{
	int64_t h = digits(p, 2), m = digits(p + 3, 2), s = digits(p + 6, 2);
	if (p[2] != ':' || p[5] != ':' || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60)
		return -1;
	return h * 3600 + m * 60 + s;
}

static int finish(int64_t y, unsigned m, int64_t d, int64_t tod, int64_t *out)
{
	static const uint8_t mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 0 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap) || tod < 0)
		return -EINVAL;
	*out = days_from_civil(y, m, (unsigned)d) * 86400 + tod;
	return 0;
}

int rk_http_date_parse(const char *p, size_t n, int64_t now, int64_t *out)
{
	if (n == 29 && p[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (!is_wday(p, 3) || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' || p[16] != ' ' ||
		    rk_memcmp(p + 25, " GMT", 4) != 0)
			return -EINVAL;
		int64_t y = digits(p + 12, 4);
		if (y < 0)
			return -EINVAL;
		return finish(y, month(p + 8), digits(p + 5, 2), time_of_day(p + 17), out);
	}
	if (n == 24 && p[3] == ' ') {
		/* asctime-date: "Sun Nov  6 08:49:37 1994" (day is SP DIGIT or 2DIGIT) */
		if (!is_wday(p, 3) || p[7] != ' ' || p[10] != ' ' || p[19] != ' ')
			return -EINVAL;
		int64_t d = p[8] == ' ' ? digits(p + 9, 1) : digits(p + 8, 2);
		int64_t y = digits(p + 20, 4);
		if (y < 0)
			return -EINVAL;
		return finish(y, month(p + 4), d, time_of_day(p + 11), out);
	}
	/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT": a full weekday name,
	 * ", " and 22 fixed bytes. */
	if (n < 6 + 24 || n > 9 + 24 || p[n - 24] != ',')
		return -EINVAL;
	size_t w = n - 24;
	const char *q = p + w + 2;
	if (!is_wday(p, w) || p[w + 1] != ' ' || q[2] != '-' || q[6] != '-' || q[9] != ' ' ||
	    rk_memcmp(q + 18, " GMT", 4) != 0)
		return -EINVAL;
	int64_t yy = digits(q + 7, 2);
	if (yy < 0)
		return -EINVAL;
	/* §5.6.7: a year more than 50 years in the future is the most recent
	 * past one with the same two digits; so the window is now-49..now+50. */
	now = now < MIN_T ? MIN_T : now > MAX_T ? MAX_T : now;
	int64_t cur = civil_from_days((now >= 0 ? now : now - 86399) / 86400).y;
	int64_t y = cur - ((cur % 100) + 100) % 100 + yy;
	if (y > cur + 50)
		y -= 100;
	else if (y < cur - 49)
		y += 100;
	return finish(y, month(q + 3), digits(q, 2), time_of_day(q + 10), out);
}
