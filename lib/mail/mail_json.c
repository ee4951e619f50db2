/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-mail JSON record.  Field names follow Suricata EVE where one
 * exists for the same thing (timestamp, src_ip, src_port, dest_ip,
 * dest_port, proto, smtp.helo, smtp.mail_from, smtp.rcpt_to).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "mt_mail.h"
#include "mt_mime.h"
#include "mt_smtp.h"

struct jbuf {
	char *p;
	size_t size;
	size_t len; /* what it would need */
};

static void
jput(struct jbuf *b, const char *s, size_t n)
{
	if (b->len < b->size) {
		size_t k = MT_MIN(n, b->size - b->len - 1);

		memcpy(b->p + b->len, s, k);
		b->p[b->len + k] = '\0';
	}
	b->len += n;
}

/* a string literal, its length counted by the compiler */
#define jlit(b, lit) jput((b), (lit), sizeof(lit) - 1)

static void __attribute__((format(printf, 2, 3)))
jprintf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		jput(b, tmp, MT_MIN((size_t)n, sizeof(tmp) - 1));
}

/* Length of the valid UTF-8 sequence at s (max n), or 0 if invalid. */
static size_t
utf8_len(const uint8_t *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/* A JSON string; invalid UTF-8 bytes become U+FFFD. */
static void
jstr(struct jbuf *b, const char *s, size_t n)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0, k;

	jlit(b, "\"");
	while (i < n) {
		if (u[i] == '"' || u[i] == '\\') {
			jlit(b, "\\");
			jput(b, s + i, 1);
			i++;
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			jprintf(b, "\\u%04x", u[i]);
			i++;
		} else if ((k = utf8_len(u + i, n - i)) != 0) {
			jput(b, s + i, k);
			i += k;
		} else {
			jlit(b, "\\ufffd");
			i++;
		}
	}
	jlit(b, "\"");
}

static void
jmstr(struct jbuf *b, const struct mt_mail *m, const struct mt_mail_str *s)
{
	jstr(b, mt_mail_str(m, s), s->len);
}

static const struct {
	uint32_t bit;
	const char *name;
} flag_names[] = {
	{ MT_MAIL_F_INCOMPLETE, "incomplete" },
	{ MT_MAIL_F_UNCONFIRMED, "unconfirmed" },
	{ MT_MAIL_F_REJECTED, "rejected" },
	{ MT_MAIL_F_TRUNCATED, "truncated" },
	{ MT_MAIL_F_NOMEM, "nomem" },
	{ MT_MAIL_F_GAP, "gap" },
	{ MT_MAIL_F_ENVELOPE_TRUNC, "envelope_truncated" },
	{ MT_MAIL_F_MIDSTREAM, "midstream" },
	{ MT_MAIL_F_ABORTED, "aborted" },
	{ MT_MAIL_F_PIPELINED, "pipelined" },
	{ MT_MAIL_F_BDAT, "bdat" },
	{ MT_MAIL_F_BARE_LF, "bare_lf" },
	{ MT_MAIL_F_NO_MAIL, "no_mail_from" },
	{ MT_MAIL_F_TLS, "tls" },
};

static void
jtime(struct jbuf *b, const char *name, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	char ts[40];

	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	jprintf(b, ",\"%s\":\"%s.%06" PRIu64 "+0000\"", name, ts, (ns / 1000u) % 1000000u);
}

static void jscan(struct jbuf *b, const struct mt_mail *m);

/* "server": the server's passive fingerprint (docs/METADATA.md) */
static void
jserver(struct jbuf *b, const struct mt_mail *m)
{
	jprintf(b, ",\"server\":{\"known\":%s", m->fp_state == 2 ? "true" : "false");
	jlit(b, ",\"rule\":");
	jmstr(b, m, &m->fp_rule);
	jlit(b, ",\"vendor\":");
	jmstr(b, m, &m->fp_vendor);
	jlit(b, ",\"product\":");
	jmstr(b, m, &m->fp_product);
	jlit(b, ",\"family\":");
	jmstr(b, m, &m->fp_family);
	jlit(b, ",\"version\":");
	jmstr(b, m, &m->fp_version);
	jprintf(b, ",\"score\":%d,\"nonbanner\":%u", m->fp_score, m->fp_nonbanner);
	jlit(b, ",\"decided\":");
	jmstr(b, m, &m->fp_decided);
	jlit(b, ",\"reason\":");
	jmstr(b, m, &m->fp_reason);
	jlit(b, "}");
}

size_t
mt_mail_json(const struct mt_mail *m, const char *id, const char *sha256, char *buf,
	     size_t size)
{
	struct jbuf b = { .p = buf, .size = size, .len = 0 };
	char addr[64];
	unsigned i, first;

	if (size > 0)
		buf[0] = '\0';
	jlit(&b, "{\"id\":");
	jstr(&b, id, strlen(id));
	jtime(&b, "timestamp", m->ts_ns);
	jtime(&b, "timestamp_end", m->ts_end_ns);
	mt_flow_key_addr_str(&m->key, 0, addr, sizeof(addr));
	jprintf(&b, ",\"src_ip\":\"%s\",\"src_port\":%u", addr, m->key.cli_port);
	mt_flow_key_addr_str(&m->key, 1, addr, sizeof(addr));
	jprintf(&b, ",\"dest_ip\":\"%s\",\"dest_port\":%u,\"proto\":\"TCP\"", addr,
		m->key.srv_port);

	jlit(&b, ",\"smtp\":{\"helo\":");
	jmstr(&b, m, &m->helo);
	jlit(&b, ",\"banner\":");
	jmstr(&b, m, &m->banner);
	if (m->auth_mech.len > 0 || m->auth_code != 0) {
		jlit(&b, ",\"auth\":{\"mechanism\":");
		jmstr(&b, m, &m->auth_mech);
		jlit(&b, ",\"authzid\":");
		jmstr(&b, m, &m->auth_authzid);
		jlit(&b, ",\"authcid\":");
		jmstr(&b, m, &m->auth_authcid);
		jprintf(&b, ",\"code\":%u}", m->auth_code);
	}
	if (m->xattr.len > 0) {
		jlit(&b, ",\"xclient\":");
		jmstr(&b, m, &m->xattr);
	}
	jlit(&b, ",\"mail_from\":");
	jmstr(&b, m, &m->mail_from);
	jlit(&b, ",\"mail_params\":");
	jmstr(&b, m, &m->mail_params);
	jlit(&b, ",\"rcpt_to\":[");
	for (i = 0, first = 1; i < m->n_rcpt; i++) {
		if (m->rcpt[i].code < 200 || m->rcpt[i].code >= 300)
			continue;
		if (!first)
			jlit(&b, ",");
		jmstr(&b, m, &m->rcpt[i].addr);
		first = 0;
	}
	jlit(&b, "],\"rcpt_rejected\":[");
	for (i = 0, first = 1; i < m->n_rcpt; i++) {
		if (m->rcpt[i].code < 400)
			continue;
		if (!first)
			jlit(&b, ",");
		jlit(&b, "{\"addr\":");
		jmstr(&b, m, &m->rcpt[i].addr);
		jprintf(&b, ",\"code\":%u}", m->rcpt[i].code);
		first = 0;
	}
	/* no final reply seen (one-sided capture, connection cut) */
	jlit(&b, "],\"rcpt_unanswered\":[");
	for (i = 0, first = 1; i < m->n_rcpt; i++) {
		if (m->rcpt[i].code >= 200)
			continue;
		if (!first)
			jlit(&b, ",");
		jmstr(&b, m, &m->rcpt[i].addr);
		first = 0;
	}
	jlit(&b, "],\"rcpt_params\":{");
	for (i = 0, first = 1; i < m->n_rcpt; i++) {
		if (m->rcpt[i].params.len == 0)
			continue;
		if (!first)
			jlit(&b, ",");
		jmstr(&b, m, &m->rcpt[i].addr);
		jlit(&b, ":");
		jmstr(&b, m, &m->rcpt[i].params);
		first = 0;
	}
	jlit(&b, "},\"replies\":[");
	for (i = 0; i < MT_MIN(m->n_replies, MT_MAIL_MAX_REPLIES); i++)
		jprintf(&b, "%s%u", i ? "," : "", m->replies[i]);
	jprintf(&b, "],\"end\":\"%s\",\"reply_code\":%u}",
		mt_smtp_end_str((enum mt_smtp_end)m->end), m->reply_code);

	jprintf(&b, ",\"size\":%" PRIu64 ",\"seen_size\":%" PRIu64 ",\"gap_bytes\":%" PRIu64,
		m->size, m->seen_size, m->gap_bytes);
	if (sha256 != NULL)
		jprintf(&b, ",\"sha256\":\"%s\"", sha256);
	jprintf(&b, ",\"complete\":%s,\"flags\":[",
		(m->flags & MT_MAIL_F_NOT_COMPLETE) ? "false" : "true");
	for (i = 0, first = 1; i < MT_ARRAY_SIZE(flag_names); i++) {
		if (!(m->flags & flag_names[i].bit))
			continue;
		jprintf(&b, "%s\"%s\"", first ? "" : ",", flag_names[i].name);
		first = 0;
	}
	jlit(&b, "]");
	if (m->scan_db != NULL)
		jscan(&b, m);
	if (m->fp_state != 0)
		jserver(&b, m);
	jlit(&b, "}");
	return b.len;
}

/* "scan": {"matches": [...], "quarantine": bool, ...} */
static void
jscan(struct jbuf *b, const struct mt_mail *m)
{
	const struct mt_mail_match *x;
	unsigned i, bit, first;

	jlit(b, ",\"scan\":{\"matches\":[");
	for (i = 0; i < m->n_matches; i++) {
		x = &m->matches[i];
		jprintf(b, "%s{\"id\":%" PRIu32 ",\"count\":%" PRIu32 ",\"scope\":\"%s\","
			"\"severity\":\"%s\"}", i ? "," : "", x->rule->id, x->count,
			mt_scan_scope_str((enum mt_scan_scope)x->scope),
			mt_scan_severity_str((enum mt_scan_severity)x->rule->severity));
	}
	jprintf(b, "],\"quarantine\":%s", m->quarantine ? "true" : "false");
	if (m->matches_lost)
		jprintf(b, ",\"matches_lost\":%" PRIu32, m->matches_lost);
	if (m->alerts_lost)
		jprintf(b, ",\"alerts_lost\":%" PRIu32, m->alerts_lost);
	jprintf(b, ",\"rules_generation\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"mime_flags\":[", mt_scan_db_generation(m->scan_db), m->scan_bytes);
	for (bit = 0, first = 1; bit < MT_MIME_F__COUNT; bit++) {
		if (!(m->mime_flags & (1u << bit)))
			continue;
		jprintf(b, "%s\"%s\"", first ? "" : ",", mt_mime_flag_str(1u << bit));
		first = 0;
	}
	jlit(b, "]}");
}

size_t
mt_mail_alerts_json(const struct mt_mail *m, const char *id, char *buf, size_t size)
{
	struct jbuf b = { .p = buf, .size = size, .len = 0 };
	const struct mt_mail_alert *a;
	const struct mt_scan_rule *r;
	char src[64], dst[64];
	unsigned i, k, first;
	const char *t, *e;

	if (size > 0)
		buf[0] = '\0';
	mt_flow_key_addr_str(&m->key, 0, src, sizeof(src));
	mt_flow_key_addr_str(&m->key, 1, dst, sizeof(dst));
	for (i = 0; i < m->n_alerts; i++) {
		a = &m->alerts[i];
		r = a->rule;
		jlit(&b, "{\"event_type\":\"alert\"");
		jtime(&b, "timestamp", a->ts_ns);
		jprintf(&b, ",\"src_ip\":\"%s\",\"src_port\":%u", src, m->key.cli_port);
		jprintf(&b, ",\"dest_ip\":\"%s\",\"dest_port\":%u,\"proto\":\"TCP\"", dst,
			m->key.srv_port);
		jlit(&b, ",\"mail_id\":");
		jstr(&b, id, strlen(id));
		jprintf(&b, ",\"alert\":{\"action\":\"%s\",\"signature_id\":%" PRIu32
			",\"signature\":", r->quarantine ? "quarantine" : "alert", r->id);
		jstr(&b, r->msg, strlen(r->msg));
		jprintf(&b, ",\"severity\":\"%s\",\"category\":",
			mt_scan_severity_str((enum mt_scan_severity)r->severity));
		t = r->tags;
		e = strchr(t, ',');
		jstr(&b, t, e ? (size_t)(e - t) : strlen(t));
		jlit(&b, ",\"tags\":[");
		for (first = 1; *t != '\0'; t = e ? e + 1 : t + strlen(t)) {
			e = strchr(t, ',');
			k = (unsigned)(e ? (size_t)(e - t) : strlen(t));
			if (k == 0)
				continue;
			if (!first)
				jlit(&b, ",");
			jstr(&b, t, k);
			first = 0;
		}
		jlit(&b, "]},\"smtp\":{\"helo\":");
		jmstr(&b, m, &m->helo);
		jlit(&b, ",\"mail_from\":");
		jmstr(&b, m, &m->mail_from);
		jlit(&b, ",\"rcpt_to\":[");
		for (k = 0; k < m->n_rcpt; k++) {
			if (k)
				jlit(&b, ",");
			jmstr(&b, m, &m->rcpt[k].addr);
		}
		jprintf(&b, "]},\"scope\":\"%s\",\"filename\":",
			mt_scan_scope_str((enum mt_scan_scope)a->scope));
		jmstr(&b, m, &a->filename);
		jprintf(&b, ",\"offset\":%" PRIu64 "}\n", a->offset);
	}
	return b.len;
}
