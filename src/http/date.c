/* src/http/date.c - the IMF-fixdate of RFC 9110 §5.6.7 for the Date header,
 * from a unix time, by pure arithmetic (no libc, no time zone: HTTP dates
 * are always GMT). The civil-from-days conversion is H. Hinnant's
 * "chrono-Compatible Low-Level Date Algorithms" (proleptic Gregorian).
 * Read next: src/http/status.c.
 */
#include <rocket/http.h>

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: four-digit years only. */
#define MIN_T (-62167219200LL)
#define MAX_T 253402300799LL

static void two(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

void rk_http_date(char out[RK_HTTP_DATE_LEN], int64_t t)
{
	static const char wday[] = "ThuFriSatSunMonTueWed"; /* day 0 = Thursday */
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int64_t days, secs, era, z;
	unsigned doe, yoe, doy, mp, d, m, w;
	int64_t y;

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

	/* Shift the epoch to 0000-03-01 so leap days fall at a year's end. */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);                       /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              /* [0, 365] */
	mp = (5 * doy + 2) / 153;                                   /* [0, 11] */
	d = doy - (153 * mp + 2) / 5 + 1;                           /* [1, 31] */
	m = mp < 10 ? mp + 3 : mp - 9;                              /* [1, 12] */
	if (m <= 2)
		y++;

	for (int i = 0; i < 3; i++) {
		out[i] = wday[w * 3 + (unsigned)i];
		out[8 + i] = mon[(m - 1) * 3 + (unsigned)i];
	}
	out[3] = ',';
	out[4] = ' ';
	two(out + 5, d);
	out[7] = ' ';
	out[11] = ' ';
	two(out + 12, (unsigned)(y / 100));
	two(out + 14, (unsigned)(y % 100));
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
