/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_probe.c - the blocking one-host call and address helpers (see
 * mt_probe.h); the dialogue itself is in probe_conn.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "mt_common.h"
#include "mt_probe.h"

struct one {
	struct mt_fp_obsset *out;
	int error;
	int done;
};

static void
one_done(void *user, const struct sockaddr *sa, const struct mt_probe_result *r)
{
	struct one *o = user;

	(void)sa;
	o->done = 1;
	o->error = r->error;
	if (!r->error)
		memcpy(o->out, r->obs, sizeof(*o->out));
}

int
mt_probe_host(const struct sockaddr *sa, socklen_t salen, const struct mt_probe_params *p,
	      struct mt_fp_obsset *out, struct mt_err *err)
{
	struct mt_probe_params pp = *p;
	struct one o = { out, 0, 0 };
	struct mt_probe_engine *e;
	int rc;

	memset(out, 0, sizeof(*out));
	pp.max_sessions = 1;
	e = mt_probe_engine_new(&pp, err);
	if (!e)
		return -EINVAL;
	rc = mt_probe_engine_submit(e, sa, salen, one_done, &o);
	while (rc == 0 && !o.done)
		rc = mt_probe_engine_poll(e, 1000);
	mt_probe_engine_free(e);
	if (rc < 0)
		return mt_err_set(err, -rc, "probe: %s", strerror(-rc));
	if (o.error)
		return mt_err_set(err, o.error, "connect: %s", strerror(o.error));
	return 0;
}

int
mt_probe_parse_addr(const char *arg, uint16_t defport, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	char host[256], port[16];
	const char *colon;
	struct addrinfo hints, *ai = NULL;

	snprintf(port, sizeof(port), "%u", defport);
	if (arg[0] == '[') {
		const char *rb = strchr(arg, ']');

		if (!rb || (size_t)(rb - arg - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - arg - 1), arg + 1);
		if (rb[1] == ':')
			snprintf(port, sizeof(port), "%s", rb + 2);
		else if (rb[1])
			return -EINVAL;
	} else {
		colon = strrchr(arg, ':');
		if (colon && strchr(arg, ':') == colon) {
			if ((size_t)(colon - arg) >= sizeof(host))
				return -EINVAL;
			snprintf(host, sizeof(host), "%.*s", (int)(colon - arg), arg);
			snprintf(port, sizeof(port), "%s", colon + 1);
		} else {
			if (strlen(arg) >= sizeof(host))
				return -EINVAL;
			snprintf(host, sizeof(host), "%s", arg);
		}
	}
	if (!port[0] || strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
	    atoi(port) > 65535)
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

void
mt_probe_format_addr(const struct sockaddr *sa, char *buf, size_t cap, int with_port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		if (with_port)
			snprintf(buf, cap, "%s:%u", a, ntohs(in->sin_port));
		else
			snprintf(buf, cap, "%s", a);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		if (with_port)
			snprintf(buf, cap, "[%s]:%u", a, ntohs(in6->sin6_port));
		else
			snprintf(buf, cap, "%s", a);
	} else {
		snprintf(buf, cap, "?");
	}
}
