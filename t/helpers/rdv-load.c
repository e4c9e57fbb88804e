/* SPDX-License-Identifier: MIT */
/*
 * rdv-load: load for rendezvous's Snowflake wire, for bench/rendezvous.sh.
 *
 *   rdv-load match PORT[,PORT2] PROXIES CLIENTS SECONDS
 *       PROXIES keep-alive connections (to PORT) poll, answer each match and poll
 *       again with a new Sid; CLIENTS connections (to PORT2 if given,
 *       another process sharing a redis-server) post offers back to back.
 *       Prints "matches=N seconds=S rate=R/s latency_us=P50,P99"
 *       (client post to answer).
 *   rdv-load hold PORT proxy|client N
 *       N connections each send one poll (or offer) and hold; prints
 *       "held N" once all are sent, then waits for stdin to close.
 *
 * One epoll loop, non-blocking sockets, responses read by Content-Length.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OFFER                                                                        \
	"{\\\"type\\\":\\\"offer\\\",\\\"sdp\\\":\\\"v=0\\\\r\\\\n" \
	"a=candidate:1 1 udp 1 192.0.2.1 5000 typ host\\\\r\\\\n\\\"}"
#define ANSWER "{\\\"type\\\":\\\"answer\\\",\\\"sdp\\\":\\\"v=0\\\\r\\\\n\\\"}"
#define LAT_MAX 2000000

struct lc {
	int fd, is_proxy, cycle, id;
	char in[8192];
	size_t inlen;
	double sent;
};

static uint16_t port, port2;
static long matches;
static double *lat;
static size_t nlat;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(uint16_t to)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(to) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		exit(111);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
send_req(struct lc *c, const char *path, const char *body)
{
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), "POST %s HTTP/1.1\r\nHost: broker\r\nContent-Length: %zu\r\n\r\n%s",
	                 path, strlen(body), body);

	if (write(c->fd, buf, (size_t)n) != n) {
		perror("write");
		exit(111);
	}
	c->sent = now();
}

static void
send_poll(struct lc *c)
{
	char body[512];

	snprintf(body, sizeof(body),
	         "{\"Sid\":\"p%d-%d\",\"Version\":\"1.3\",\"Type\":\"standalone\",\"NAT\":\"unrestricted\","
	         "\"Clients\":0,\"AcceptedRelayPattern\":\"snowflake.torproject.net$\"}",
	         c->id, c->cycle);
	send_req(c, "/proxy", body);
}

static void
send_offer(struct lc *c)
{
	send_req(c, "/client", "1.0\n{\"offer\":\"" OFFER "\",\"nat\":\"unrestricted\",\"fingerprint\":\"\"}");
}

/* A whole response in c->in: its body (NUL-terminated), else NULL. */
static char *
response(struct lc *c)
{
	char *end, *cl;
	size_t len, hl;

	c->in[c->inlen] = '\0';
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL)
		return NULL;
	hl = (size_t)(end - c->in) + 4;
	cl = strcasestr(c->in, "Content-Length: ");
	len = cl != NULL ? strtoul(cl + 16, NULL, 10) : 0;
	if (c->inlen < hl + len)
		return NULL;
	return c->in + hl;
}

static void
consume(struct lc *c, const char *body)
{
	char *end = strstr(c->in, "\r\n\r\n");
	char *cl = strcasestr(c->in, "Content-Length: ");
	size_t total = (size_t)(end - c->in) + 4 + (cl ? strtoul(cl + 16, NULL, 10) : 0);

	(void)body;
	memmove(c->in, c->in + total, c->inlen - total);
	c->inlen -= total;
}

static void
on_response(struct lc *c, char *body)
{
	if (c->is_proxy) {
		if (strstr(body, "client match") != NULL) {
			char ans[512];

			consume(c, body);
			c->is_proxy = 2; /* the answer's response comes next */
			snprintf(ans, sizeof(ans), "{\"Version\":\"1.3\",\"Sid\":\"p%d-%d\",\"Answer\":\"" ANSWER "\"}",
			         c->id, c->cycle);
			send_req(c, "/answer", ans);
			return;
		}
		consume(c, body);
		if (c->is_proxy == 2)
			c->is_proxy = 1;
		c->cycle++;
		send_poll(c);
		return;
	}
	if (strstr(body, "\"answer\"") != NULL) {
		matches++;
		if (nlat < LAT_MAX)
			lat[nlat++] = now() - c->sent;
	}
	consume(c, body);
	send_offer(c);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	struct epoll_event ev, evs[256];
	struct lc *cs;
	int ep, i, n, np, nc;
	double t0, secs;

	if (argc < 5)
		return 100;
	port = port2 = (uint16_t)atoi(argv[2]);
	if (strchr(argv[2], ',') != NULL)
		port2 = (uint16_t)atoi(strchr(argv[2], ',') + 1);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((ep = epoll_create1(0)) < 0)
		return 111;
	if (strcmp(argv[1], "hold") == 0) {
		int proxy = strcmp(argv[3], "proxy") == 0;
		char c;

		n = atoi(argv[4]);
		cs = calloc((size_t)n, sizeof(*cs));
		for (i = 0; i < n; i++) {
			cs[i].fd = dial(port);
			cs[i].id = i;
			if (proxy)
				send_poll(&cs[i]);
			else
				send_offer(&cs[i]);
		}
		printf("held %d\n", n);
		fflush(stdout);
		while (read(0, &c, 1) > 0)
			;
		for (i = 0; i < n; i++)
			close(cs[i].fd);
		free(cs);
		return 0;
	}
	if (argc < 6)
		return 100;
	np = atoi(argv[3]);
	nc = atoi(argv[4]);
	secs = atof(argv[5]);
	lat = malloc(sizeof(double) * LAT_MAX);
	cs = calloc((size_t)(np + nc), sizeof(*cs));
	for (i = 0; i < np + nc; i++) {
		cs[i].is_proxy = i < np;
		cs[i].fd = dial(cs[i].is_proxy ? port : port2);
		cs[i].id = i;
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
		if (cs[i].is_proxy)
			send_poll(&cs[i]);
	}
	usleep(200000);
	for (i = np; i < np + nc; i++)
		send_offer(&cs[i]);
	t0 = now();
	while (now() - t0 < secs) {
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			struct lc *c = evs[i].data.ptr;
			ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
			char *body;

			if (r <= 0) {
				fprintf(stderr, "rdv-load: connection closed by the broker\n");
				return 111;
			}
			c->inlen += (size_t)r;
			while ((body = response(c)) != NULL)
				on_response(c, body);
		}
	}
	secs = now() - t0;
	qsort(lat, nlat, sizeof(double), cmp);
	printf("matches=%ld seconds=%.2f rate=%.0f/s latency_us=%.0f,%.0f\n", matches, secs, matches / secs,
	       nlat ? lat[nlat / 2] * 1e6 : 0, nlat ? lat[nlat * 99 / 100] * 1e6 : 0);
	for (i = 0; i < np + nc; i++)
		close(cs[i].fd);
	free(cs);
	free(lat);
	return 0;
}
