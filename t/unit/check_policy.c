/* SPDX-License-Identifier: MIT */
/*
 * egress/policy: the default deny list (every range, its edges, the
 * IPv4-mapped, NAT64 and 6to4 spellings), every IPv6 form that embeds an
 * IPv4 address, port 25, rule syntax, the later-wins order, malformed
 * rules, numeric host names and the self list. Each denial has an
 * allowed neighbour beside it, so a test fails whether the policy is too
 * loose or too strict.
 */
#include <arpa/inet.h>
#include <check.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egress/policy.h"

static struct policy pol;

/* 1/0 verdict for a textual address (v4 or v6) and port. */
static int
allows(const char *addr, unsigned port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		return policy_allows_sa(&pol, (struct sockaddr *)&sin);
	}
	ck_assert_msg(inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1, "bad test address %s", addr);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	return policy_allows_sa(&pol, (struct sockaddr *)&sin6);
}

static void
add(const char *rule, int allow)
{
	struct policy_rule r;
	char err[128];

	ck_assert_msg(policy_parse_rule(rule, allow, &r, err, sizeof(err)) == 0, "%s: %s", rule, err);
	ck_assert_int_eq(policy_add(&pol, &r), 0);
}

static void
setup(void)
{
	policy_init(&pol);
}

/* A denied range: first, last, and the allowed neighbours outside it (NULL: none). */
struct range {
	const char *in_lo, *in_hi, *out_lo, *out_hi;
};

static void
check_ranges(const struct range *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ck_assert_msg(!allows(r[i].in_lo, 443), "%s", r[i].in_lo);
		ck_assert_msg(!allows(r[i].in_hi, 443), "%s", r[i].in_hi);
		if (r[i].out_lo)
			ck_assert_msg(allows(r[i].out_lo, 443), "%s", r[i].out_lo);
		if (r[i].out_hi)
			ck_assert_msg(allows(r[i].out_hi, 443), "%s", r[i].out_hi);
	}
}

/* Each default IPv4 range. */
static const struct range v4ranges[] = {
	{ "0.0.0.0", "0.255.255.255", NULL, "1.0.0.0" },
	{ "127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0" },
	{ "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0" },
	{ "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0" },
	{ "192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0" },
	{ "100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0" },
	{ "169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0" },
	{ "192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0" },
	{ "192.0.2.0", "192.0.2.255", "192.0.1.255", "192.0.3.0" },
	{ "198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0" },
	{ "198.51.100.0", "198.51.100.255", "198.51.99.255", "198.51.101.0" },
	{ "203.0.113.0", "203.0.113.255", "203.0.112.255", "203.0.114.0" },
	{ "224.0.0.0", "239.255.255.255", "223.255.255.255", NULL },
	{ "240.0.0.0", "255.255.255.255", NULL, NULL },
};

START_TEST(test_default_v4)
{
	check_ranges(v4ranges, sizeof(v4ranges) / sizeof(v4ranges[0]));
	ck_assert(!allows("169.254.169.254", 80)); /* cloud metadata */
	ck_assert(!allows("255.255.255.255", 80)); /* limited broadcast */
	ck_assert(!allows("192.0.0.170", 80));     /* NAT64 discovery */
	ck_assert(allows("93.184.216.34", 80));
	ck_assert(allows("8.8.8.8", 53));
}
END_TEST

START_TEST(test_default_mapped)
{
	char a[64];
	size_t i;

	for (i = 0; i < sizeof(v4ranges) / sizeof(v4ranges[0]); i++) {
		snprintf(a, sizeof(a), "::ffff:%s", v4ranges[i].in_lo);
		ck_assert_msg(!allows(a, 443), "%s", a);
		snprintf(a, sizeof(a), "::ffff:%s", v4ranges[i].in_hi);
		ck_assert_msg(!allows(a, 443), "%s", a);
		if (v4ranges[i].out_hi) {
			snprintf(a, sizeof(a), "::ffff:%s", v4ranges[i].out_hi);
			ck_assert_msg(allows(a, 443), "%s", a);
		}
	}
	ck_assert(allows("::ffff:93.184.216.34", 80));
}
END_TEST

START_TEST(test_default_nat64_6to4)
{
	ck_assert(!allows("64:ff9b::7f00:1", 80));     /* 127.0.0.1 */
	ck_assert(!allows("64:ff9b::a9fe:a9fe", 80));  /* 169.254.169.254 */
	ck_assert(!allows("64:ff9b::c0a8:101", 80));   /* 192.168.1.1 */
	ck_assert(allows("64:ff9b::5db8:d822", 80));   /* 93.184.216.34 */
	ck_assert(!allows("2002:7f00:1::1", 80));      /* 127.0.0.1 */
	ck_assert(!allows("2002:a00:1:2::3", 80));     /* 10.0.1.0 */
	ck_assert(!allows("2002:ac1f:ffff::", 80));    /* 172.31.255.255 */
	ck_assert(allows("2002:ac20::1", 80));         /* 172.32.0.0 */
	ck_assert(allows("2002:5db8:d822::1", 80));
	ck_assert(!allows("64:ff9b:1::5db8:d822", 80)); /* local-use NAT64 */
}
END_TEST

START_TEST(test_default_v6)
{
	ck_assert(!allows("::", 80));
	ck_assert(!allows("::1", 80));
	ck_assert(!allows("::127.0.0.1", 80));
	ck_assert(!allows("fc00::", 80));
	ck_assert(!allows("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80));
	ck_assert(!allows("fd00:ec2::254", 80));
	ck_assert(allows("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80));
	ck_assert(allows("fe00::", 80));
	ck_assert(!allows("fe80::1", 80));
	ck_assert(!allows("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80));
	ck_assert(!allows("ff00::", 80));
	ck_assert(!allows("ff02::1", 80));
	ck_assert(!allows("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80));
	ck_assert(allows("2606:2800:220:1:248:1893:25c8:1946", 443));
	ck_assert(allows("::1:0:0:1", 80));
}
END_TEST

START_TEST(test_default_port25)
{
	ck_assert(!allows("93.184.216.34", 25));
	ck_assert(!allows("2606:2800:220:1:248:1893:25c8:1946", 25));
	ck_assert(!allows("::ffff:93.184.216.34", 25));
	ck_assert(allows("93.184.216.34", 24));
	ck_assert(allows("93.184.216.34", 26));
	ck_assert(allows("93.184.216.34", 587));
}
END_TEST

START_TEST(test_other_family)
{
	struct sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	ck_assert_int_eq(policy_allows_sa(&pol, &sa), 0);
}
END_TEST

START_TEST(test_rule_port)
{
	add("127.0.0.1:8080", 1);
	ck_assert(allows("127.0.0.1", 8080));
	ck_assert(!allows("127.0.0.1", 8081));
	ck_assert(!allows("127.0.0.2", 8080));
	ck_assert(allows("::ffff:127.0.0.1", 8080));
	add("[::1]/128:80", 1);
	ck_assert(allows("::1", 80));
	ck_assert(!allows("::1", 81));
	add("[::1]:443", 1);
	ck_assert(allows("::1", 443));
}
END_TEST

START_TEST(test_rule_range)
{
	add("10.1.0.0/16:8000-8999", 1);
	ck_assert(!allows("10.1.2.3", 7999));
	ck_assert(allows("10.1.2.3", 8000));
	ck_assert(allows("10.1.2.3", 8500));
	ck_assert(allows("10.1.2.3", 8999));
	ck_assert(!allows("10.1.2.3", 9000));
	ck_assert(!allows("10.2.2.3", 8500));
	add("[fd00::]/8:1-65535", 1);
	ck_assert(allows("fd12::1", 1));
	ck_assert(allows("fd12::1", 65535));
	ck_assert(!allows("fc12::1", 80));
}
END_TEST

START_TEST(test_later_wins)
{
	add("8.8.8.0/24", 0);
	ck_assert(!allows("8.8.8.8", 53));
	ck_assert(allows("8.8.4.4", 53));
	add("8.8.8.8", 1);
	ck_assert(allows("8.8.8.8", 53));
	ck_assert(!allows("8.8.8.9", 53));
	add("8.8.8.8:53", 0);
	ck_assert(!allows("8.8.8.8", 53));
	ck_assert(allows("8.8.8.8", 443));
	/* A rule overrides the port-25 default, and a later deny wins again. */
	add("*:25", 1);
	ck_assert(allows("93.184.216.34", 25));
	ck_assert(!allows("10.0.0.1", 80));
	add("0.0.0.0/0", 0);
	ck_assert(!allows("93.184.216.34", 443));
	ck_assert(allows("2606:2800:220:1:248:1893:25c8:1946", 443));
	add("*", 0);
	ck_assert(!allows("2606:2800:220:1:248:1893:25c8:1946", 443));
	add("[::]/0:443", 1);
	ck_assert(allows("93.184.216.34", 443));
	ck_assert(allows("::1", 443));
	ck_assert(!allows("::1", 444));
}
END_TEST

START_TEST(test_allow_everything_private)
{
	add("10.0.0.0/8", 1);
	ck_assert(allows("10.9.8.7", 80));
	/* Later wins over every default, the port-25 one included... */
	ck_assert(allows("10.9.8.7", 25));
	ck_assert(allows("::ffff:10.9.8.7", 80));
	/* ...until SMTP is denied again after it. */
	add("*:25", 0);
	ck_assert(!allows("10.9.8.7", 25));
	ck_assert(allows("10.9.8.7", 80));
	/* The rules decide for the embedded address too: its NAT64 form is open. */
	ck_assert(allows("64:ff9b::a09:807", 80));
	ck_assert(allows("64:ff9b::b09:807", 80)); /* 11.9.8.7 */
	ck_assert(!allows("64:ff9b::7f00:1", 80));
}
END_TEST


/* Each default IPv6 range. */
static const struct range v6ranges[] = {
	{ "::", "::ffff:ffff", NULL, "::1:0:0" },
	{ "100::", "100::ffff:ffff:ffff:ffff", "ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "100:0:0:1::" },
	{ "2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:1:ffff:ffff:ffff:ffff:ffff:ffff",
	  "2001:2:1::" },
	{ "2001:10::", "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:f:ffff:ffff:ffff:ffff:ffff:ffff",
	  NULL },
	{ "2001:20::", "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", NULL, "2001:30::" },
	{ "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	  "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::" },
	{ "3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "3fff:1000::" },
	{ "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "fe00::" },
	{ "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  NULL },
	{ "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL, NULL },
	{ "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL, NULL },
	{ "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:0:ffff:ffff:ffff:ffff:ffff",
	  "64:ff9b:2::" },
};

START_TEST(test_default_v6_ranges)
{
	check_ranges(v6ranges, sizeof(v6ranges) / sizeof(v6ranges[0]));
}
END_TEST

/* IPv6 spellings of IPv4 addresses: each denied one beside an allowed one. */
static const struct {
	const char *addr;
	int allowed;
} embedded[] = {
	/* IPv4-translated ::ffff:0:0/96 */
	{ "::ffff:0:127.0.0.1", 0 },
	{ "::ffff:0:10.1.2.3", 0 },
	{ "::ffff:0:169.254.169.254", 0 },
	{ "::ffff:0:203.0.113.9", 0 },
	{ "::ffff:0:93.184.216.34", 1 },
	{ "::fffe:0:127.0.0.1", 1 }, /* beside ::ffff:0:0/96: nothing embedded */
	{ "::1:ffff:0:7f00:1", 1 },  /* not ::ffff:0:0/96: nothing embedded */
	/* NAT64 64:ff9b::/96 */
	{ "64:ff9b::c000:201", 0 },     /* 192.0.2.1 */
	{ "64:ff9b::c633:64ff", 0 },    /* 198.51.100.255 */
	{ "64:ff9b::ffff:ffff", 0 },    /* 255.255.255.255 */
	{ "64:ff9b::808:808", 1 },      /* 8.8.8.8 */
	{ "64:ff9b:0:0:1::7f00:1", 1 }, /* outside the /96: not NAT64 */
	/* 6to4 2002::/16 */
	{ "2002:c612::", 0 }, /* 198.18.0.0 */
	{ "2002:c614::", 1 }, /* 198.20.0.0 */
	{ "2002:c000:0:1::", 0 },
	{ "2002:c000:100::", 1 }, /* 192.0.1.0 */
	{ "2003:7f00:1::", 1 },
	/* Teredo 2001::/32: server 65.54.227.120, client inverted */
	{ "2001:0:4136:e378:8000:63bf:80ff:fffe", 0 }, /* client 127.0.0.1 */
	{ "2001:0:4136:e378:8000:63bf:f5ff:fefe", 0 }, /* client 10.0.1.1 */
	{ "2001:0:4136:e378:8000:63bf:a247:27dd", 1 }, /* client 93.184.216.34 */
	{ "2001:0:4136:e378:8000:63bf:7f00:1", 1 },    /* client 128.255.255.254 */
	{ "2001:0:a00:1:8000:63bf:a247:27dd", 0 },     /* server 10.0.0.1 */
	{ "2001:0:a9fe:a9fe:8000:63bf:a247:27dd", 0 }, /* server 169.254.169.254 */
	{ "2001:1:a00:1:8000:63bf:80ff:fffe", 1 },     /* 2001:1::/32 is not Teredo */
	/* ISATAP interface ids under any prefix */
	{ "2a00:1450::5efe:7f00:1", 0 },
	{ "2a00:1450::200:5efe:7f00:1", 0 },
	{ "2a00:1450::300:5efe:a00:1", 0 },
	{ "2a00:1450::200:5efe:a9fe:a9fe", 0 },
	{ "2a00:1450::200:5efe:5db8:d822", 1 },
	{ "2a00:1450::5eff:7f00:1", 1 },
	{ "2a00:1450::400:5efe:7f00:1", 1 },
	{ "2002:5db8:d822::5efe:a00:1", 0 }, /* 6to4 of a public address, ISATAP of a private one */
	{ "2002:a00:1::5efe:5db8:d822", 0 },
	{ "2002:5db8:d822::5efe:5db8:d822", 1 },
};

START_TEST(test_embedded)
{
	ck_assert_msg(allows(embedded[_i].addr, 443) == embedded[_i].allowed, "%s: want %s",
	              embedded[_i].addr, embedded[_i].allowed ? "allowed" : "denied");
}
END_TEST

static void
v4mapped(const char *v4, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	ck_assert(inet_pton(AF_INET, v4, out + 12) == 1);
}

START_TEST(test_embedded_decode)
{
	uint8_t a[16], out[POLICY_EMBED_MAX][16], want[16];

	inet_pton(AF_INET6, "2001:0:4136:e378:8000:63bf:3fff:fdd2", a);
	ck_assert_uint_eq(policy_embedded_v4(a, out), 2);
	v4mapped("65.54.227.120", want);
	ck_assert(memcmp(out[0], want, 16) == 0);
	v4mapped("192.0.2.45", want);
	ck_assert(memcmp(out[1], want, 16) == 0);
	inet_pton(AF_INET6, "2001:0:4136:e378:0:5efe:3fff:fdd2", a);
	ck_assert_uint_eq(policy_embedded_v4(a, out), 3);
	v4mapped("63.255.253.210", want);
	ck_assert(memcmp(out[2], want, 16) == 0);
	inet_pton(AF_INET6, "::ffff:1.2.3.4", a); /* already IPv4 */
	ck_assert_uint_eq(policy_embedded_v4(a, out), 0);
	inet_pton(AF_INET6, "::1", a);
	ck_assert_uint_eq(policy_embedded_v4(a, out), 0);
	inet_pton(AF_INET6, "::2", a);
	ck_assert_uint_eq(policy_embedded_v4(a, out), 1);
	inet_pton(AF_INET6, "2606:2800:220:1:248:1893:25c8:1946", a);
	ck_assert_uint_eq(policy_embedded_v4(a, out), 0);
}
END_TEST

/* User rules reach the embedded address, and the outer address must pass too. */
START_TEST(test_embedded_rules)
{
	add("8.8.8.8", 0);
	ck_assert(!allows("64:ff9b::808:808", 443));
	ck_assert(!allows("2002:808:808::1", 443));
	ck_assert(!allows("2001:0:808:808:8000:63bf:a247:27dd", 443));
	ck_assert(allows("64:ff9b::808:404", 443));
	add("[::]/96", 1); /* open the IPv4-compatible block: its embedded addresses still count */
	ck_assert(allows("::93.184.216.34", 443));
	ck_assert(!allows("::10.0.0.1", 443));
	ck_assert(!allows("::8.8.8.8", 443));
	add("[2002::]/16", 0);
	ck_assert(!allows("2002:5db8:d822::1", 443));
	add("127.0.0.1", 1);
	ck_assert(allows("64:ff9b::7f00:1", 443));
	ck_assert(!allows("64:ff9b::7f00:2", 443));
}
END_TEST

static const char *ambiguous_names[] = {
	"0177.0.0.1", "127.1",      "10.1.1",       "0x7f.0.0.1",  "0x7f000001", "0X7F.1",
	"2130706433", "017700000001", "127.0.0.01", "127.00.0.1",  "00.0.0.0",   "1.2.3.4.",
	"1.2.3.4.5",  "1.2.3.256",  "1.2.3.4 x",    "example.123", "example.0x1f", "0x",
	"0",          "1.2.3.",     "08.0.0.1",     "127.0.0.1.",  "example.123.",
	"host-127.0.0.1", /* a browser reads the last label as a number and fails */
	"22 :",           /* inet_aton stops at the space */
};

START_TEST(test_name_ambiguous)
{
	ck_assert_msg(policy_name_ambiguous(ambiguous_names[_i]), "'%s' not refused",
	              ambiguous_names[_i]);
}
END_TEST

static const char *plain_names[] = {
	"127.0.0.1",       "0.0.0.0",  "255.255.255.255", "10.0.0.1",  "example.com",
	"example.com.",    "1e100.net", "123.example",    "1.2.3.4.example", "0x7f.example",
	"example.1a",      "example.0x1g", "localhost",   "::1",       "::ffff:0:127.0.0.1",
	"xn--80ak6aa92e.com", "a.b.c.d", "127.0.0.1-host", "example.x1", "-1",
	"64:ff9b::10.0.0.1",
};

START_TEST(test_name_plain)
{
	ck_assert_msg(!policy_name_ambiguous(plain_names[_i]), "'%s' refused", plain_names[_i]);
}
END_TEST

/* A fake interface list for the self list, built from text addresses. */
#define FAKE_IF_MAX (POLICY_SELF_MAX + 8)
static struct ifaddrs fake_if[FAKE_IF_MAX];
static struct sockaddr_storage fake_sa[FAKE_IF_MAX];
static size_t fake_n;

static void
fake_add(const char *name, const char *addr)
{
	struct ifaddrs *ifa = &fake_if[fake_n];
	struct sockaddr_storage *ss = &fake_sa[fake_n];

	ck_assert(fake_n < FAKE_IF_MAX);
	memset(ifa, 0, sizeof(*ifa));
	memset(ss, 0, sizeof(*ss));
	ifa->ifa_name = (char *)name;
	if (addr == NULL) {
		ss->ss_family = AF_PACKET; /* a link-layer entry, as getifaddrs lists them */
	} else if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
	} else {
		ck_assert(inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1);
		ss->ss_family = AF_INET6;
	}
	ifa->ifa_addr = (struct sockaddr *)ss;
	if (fake_n > 0)
		fake_if[fake_n - 1].ifa_next = ifa;
	fake_n++;
}

static void
fake_host(void)
{
	fake_n = 0;
	fake_add("lo", "127.0.0.1");
	fake_add("lo", "::1");
	fake_add("lo", NULL);
	fake_add("eth0", "93.184.216.34");
	fake_add("eth0", "2606:2800:220:1::5");
	fake_add("eth0", "10.0.0.5");
	fake_add("eth1", "93.184.216.34"); /* the same address twice is kept once */
	fake_add("eth1", NULL);
	fake_if[fake_n - 1].ifa_addr = NULL; /* an interface without an address */
}

START_TEST(test_self)
{
	ck_assert_int_eq(pol.deny_self, 1);
	ck_assert(allows("93.184.216.34", 443));
	fake_host();
	ck_assert_uint_eq(policy_set_self(&pol, fake_if), 0);
	ck_assert_uint_eq(pol.nself, 3);
	ck_assert(!allows("93.184.216.34", 443));
	ck_assert(allows("93.184.216.35", 443));
	ck_assert(allows("93.184.216.33", 443));
	ck_assert(!allows("::ffff:93.184.216.34", 443));
	ck_assert(!allows("64:ff9b::5db8:d822", 443));
	ck_assert(!allows("2002:5db8:d822::1", 443));
	ck_assert(!allows("2001:0:4136:e378:8000:63bf:a247:27dd", 443));
	ck_assert(!allows("2606:2800:220:1::5", 443));
	ck_assert(allows("2606:2800:220:1::6", 443));
	/* The self list wins over the rules... */
	add("93.184.216.0/24", 1);
	add("10.0.0.0/8", 1);
	ck_assert(!allows("93.184.216.34", 443));
	ck_assert(!allows("10.0.0.5", 443));
	ck_assert(allows("10.0.0.6", 443));
	/* ...but loopback is left to them. */
	ck_assert(!allows("127.0.0.1", 8080));
	add("127.0.0.1:8080", 1);
	add("[::1]:8080", 1);
	ck_assert(allows("127.0.0.1", 8080));
	ck_assert(allows("::1", 8080));
	/* A refresh replaces the list. */
	fake_n = 0;
	fake_add("eth0", "93.184.216.99");
	ck_assert_uint_eq(policy_set_self(&pol, fake_if), 0);
	ck_assert(allows("93.184.216.34", 443));
	ck_assert(!allows("93.184.216.99", 443));
	ck_assert_uint_eq(policy_set_self(&pol, NULL), 0);
	ck_assert(allows("93.184.216.99", 443));
}
END_TEST

START_TEST(test_self_bound)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	fake_n = 0;
	for (i = 0; i < FAKE_IF_MAX; i++) {
		snprintf(a, sizeof(a), "2606:2800::%zx", i + 1);
		fake_add("eth0", a);
	}
	ck_assert_uint_eq(policy_set_self(&pol, fake_if), FAKE_IF_MAX - POLICY_SELF_MAX);
	ck_assert_uint_eq(pol.nself, POLICY_SELF_MAX);
	ck_assert(!allows("2606:2800::1", 443));
	snprintf(a, sizeof(a), "2606:2800::%x", POLICY_SELF_MAX);
	ck_assert(!allows(a, 443));
	snprintf(a, sizeof(a), "2606:2800::%x", POLICY_SELF_MAX + 1); /* did not fit */
	ck_assert(allows(a, 443));
}
END_TEST

static const char *good_rules[] = {
	"1.2.3.4",         "1.2.3.4/32",      "1.2.3.0/24",    "0.0.0.0/0",
	"1.2.3.4:1",       "1.2.3.4:65535",   "1.2.3.0/24:80", "1.2.3.0/24:80-80",
	"1.2.3.0/24:1-65535", "::1",          "::1/128",       "fe80::/10",
	"[::1]",           "[::1]/128",       "[::1]:80",      "[::1]/128:80",
	"[2001:db8::]/32:1000-2000", "*",    "*:25",          "*:25-26",
	"[::ffff:10.0.0.0]/104", "[::]/0",    "::",
};

START_TEST(test_parse_good)
{
	struct policy_rule r, r2;
	char err[128], txt[POLICY_RULE_STR_MAX];

	ck_assert_msg(policy_parse_rule(good_rules[_i], 1, &r, err, sizeof(err)) == 0, "%s: %s",
	              good_rules[_i], err);
	/* Formatting reads back to the same rule. */
	ck_assert_int_eq(policy_rule_format(&r, txt, sizeof(txt)), 0);
	ck_assert_msg(policy_parse_rule(txt, 1, &r2, err, sizeof(err)) == 0, "%s: %s", txt, err);
	ck_assert_msg(memcmp(&r, &r2, sizeof(r)) == 0, "%s -> %s", good_rules[_i], txt);
}
END_TEST

START_TEST(test_parse_values)
{
	struct policy_rule r;
	char txt[POLICY_RULE_STR_MAX];

	ck_assert_int_eq(policy_parse_rule("10.0.0.0/8:80-90", 1, &r, NULL, 0), 0);
	ck_assert_int_eq(r.plen, 104);
	ck_assert_int_eq(r.lo, 80);
	ck_assert_int_eq(r.hi, 90);
	ck_assert_int_eq(r.allow, 1);
	policy_rule_format(&r, txt, sizeof(txt));
	ck_assert_str_eq(txt, "10.0.0.0/8:80-90");
	ck_assert_int_eq(policy_parse_rule("[::1]:80", 0, &r, NULL, 0), 0);
	ck_assert_int_eq(r.plen, 128);
	ck_assert_int_eq(r.allow, 0);
	policy_rule_format(&r, txt, sizeof(txt));
	ck_assert_str_eq(txt, "[::1]/128:80");
	ck_assert_int_eq(policy_parse_rule("*", 0, &r, NULL, 0), 0);
	ck_assert_int_eq(r.plen, 0);
	ck_assert_int_eq(r.lo, 0);
	ck_assert_int_eq(r.hi, 65535);
	ck_assert_int_eq(policy_rule_format(&r, txt, 4), -1);
}
END_TEST

static const char *bad_rules[] = {
	"",                  /* empty */
	"garbage",           "1.2.3",            "1.2.3.4.5",         "256.1.1.1",
	"1.2.3.4/33",        /* bad prefix length */
	"1.2.3.4/",          "1.2.3.4/-1",       "1.2.3.4/x",         "1.2.3.4/8",  /* host bits */
	"::1/129",           "[::1]/129:80",     "fe80::1/10",        "[::1]/",
	"1.2.3.4:0",         /* port 0 */
	"1.2.3.4:65536",     "1.2.3.4:99999999999999999999", "1.2.3.4:",   "1.2.3.4:x",
	"1.2.3.4:-5",        "1.2.3.4:80-",      "1.2.3.4:-",         "1.2.3.4:0-10",
	"1.2.3.4:10-65536",  "1.2.3.4:90-80",    /* low > high */
	"1.2.3.4:1-2-3",     "1.2.3.4:80:90",    "[::1",              "[::1]x",
	"[::1]:",            "[1.2.3.4]",        "[]",                "[]:80",
	"*/0",               "*x",               "[*]",               "* ",
	" 1.2.3.4",          "1.2.3.4 ",         "::1:80:",           "1.2.3.4/08x",
	"1.2.3.4:+80",       "01.2.3.4",
	"12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345",
};

START_TEST(test_parse_bad)
{
	struct policy_rule r;
	char err[128];

	ck_assert_msg(policy_parse_rule(bad_rules[_i], 1, &r, err, sizeof(err)) == -1, "accepted '%s'",
	              bad_rules[_i]);
	ck_assert_msg(err[0] != '\0', "no reason for '%s'", bad_rules[_i]);
}
END_TEST

START_TEST(test_full)
{
	struct policy_rule r;

	ck_assert_int_eq(policy_parse_rule("1.2.3.4", 1, &r, NULL, 0), 0);
	while (pol.n < POLICY_RULES_MAX)
		ck_assert_int_eq(policy_add(&pol, &r), 0);
	ck_assert_int_eq(policy_add(&pol, &r), -1);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("defaults");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_default_v4);
	tcase_add_test(tc, test_default_mapped);
	tcase_add_test(tc, test_default_nat64_6to4);
	tcase_add_test(tc, test_default_v6);
	tcase_add_test(tc, test_default_port25);
	tcase_add_test(tc, test_other_family);
	tcase_add_test(tc, test_default_v6_ranges);
	tcase_add_loop_test(tc, test_embedded, 0, (int)(sizeof(embedded) / sizeof(embedded[0])));
	tcase_add_test(tc, test_embedded_decode);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_name_ambiguous, 0,
	                    (int)(sizeof(ambiguous_names) / sizeof(ambiguous_names[0])));
	tcase_add_loop_test(tc, test_name_plain, 0, (int)(sizeof(plain_names) / sizeof(plain_names[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("self");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_self);
	tcase_add_test(tc, test_self_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_rule_port);
	tcase_add_test(tc, test_rule_range);
	tcase_add_test(tc, test_later_wins);
	tcase_add_test(tc, test_allow_everything_private);
	tcase_add_test(tc, test_embedded_rules);
	tcase_add_test(tc, test_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_good, 0, (int)(sizeof(good_rules) / sizeof(good_rules[0])));
	tcase_add_test(tc, test_parse_values);
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)(sizeof(bad_rules) / sizeof(bad_rules[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
