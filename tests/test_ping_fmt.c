/*
 * test_ping_fmt.c: hdp ping prints times as iputils ping does (its
 * ping_common.c): three decimals under 1 ms, two under 10 ms, one under
 * 100 ms, none from there, each band's edge rounded as iputils rounds
 * it; the statistics line always with three decimals.  A loopback or
 * veth path only reaches the first band, and this kernel has no netem to
 * slow it, so the bands are checked here on the formatter itself.
 */
#include "../src/tool_ping.c"
#include "unit.h"

static void
band(double us, const char *want)
{
	char buf[32];

	fmt_ms(us, buf, sizeof(buf));
	CHECK_MSG(strcmp(buf, want) == 0, "%.3f us: got %s, want %s", us,
		  buf, want);
}

int
main(void)
{
	char buf[32];

	band(0, "0.000");
	band(52, "0.052");
	band(52.4, "0.052");
	band(999, "0.999");
	band(1000, "1.00");
	band(1234, "1.23");
	band(9994, "9.99");
	band(9995, "10.0");	/* iputils: >= 10000 - 5 */
	band(12345, "12.3");
	band(99949, "99.9");
	band(99950, "100");	/* >= 100000 - 50 */
	band(123456, "123");
	band(2500000, "2500");
	band(-52, "-0.052");	/* a one-way delay across clocks */
	fmt_ms3(52, buf, sizeof(buf));
	CHECK(strcmp(buf, "0.052") == 0);
	fmt_ms3(123456, buf, sizeof(buf));
	CHECK(strcmp(buf, "123.456") == 0);
	fmt_ms3(-1500, buf, sizeof(buf));
	CHECK(strcmp(buf, "-1.500") == 0);
	return unit_report("test_ping_fmt");
}
