/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp.c - libFuzzer harness for lib/smtp.
 *
 *	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *	    -D_GNU_SOURCE -Ilib/base -Ilib/smtp lib/smtp/mt_smtp.c tests/fuzz/smtp.c \
 *	    -o build/fuzz-smtp && build/fuzz-smtp -max_total_time=60
 *
 * Input: the first byte picks how the rest becomes (direction, bytes)
 * segments, and (bit 1) whether the automaton starts mid-stream
 * (mt_smtp_init_midstream):
 *	bit 0 clear: records [hdr][(hdr & 0x7f) + 1 bytes], hdr bit 7 =
 *	      server; hdr & 0x7f == 0x7f is a gap record [hdr][n]: n + 1
 *	      octets of that direction lost (mt_smtp_gap)
 *	bit 0 set: a xorshift generator seeded by the first byte cuts the
 *	      rest into 1..64-byte segments, picks each one's direction and
 *	      once in 64 declares a gap of 1..256 octets before it
 *
 * Checks: callbacks never nest (begin/end pair up, rcpt/data/rcpt_reply
 * only inside a transaction), close() leaves none open and a second
 * close() is silent, metadata callbacks keep their bounds (reply,
 * params and tx_flags only inside a transaction, tx_flags right before
 * each end), and feeding the same segments one byte at a time
 * gives the same callback stream (hashed, data chunk bounds ignored).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mt_smtp.h"

struct fz {
	uint64_t h;
	int open;
	int closed;
	int flags_seen; /* tx_flags called, mail_end must follow */
};

static uint64_t slot_a[8192 / sizeof(uint64_t)];
static uint64_t slot_b[8192 / sizeof(uint64_t)];

static void
mix(struct fz *f, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		f->h = (f->h ^ b[i]) * 0x100000001b3ull;
}

static void
tag(struct fz *f, uint8_t t, unsigned a, unsigned b)
{
	unsigned v[2] = { a, b };

	if (f->closed && t != 'e' && t != 'v')
		__builtin_trap();
	mix(f, &t, 1);
	mix(f, v, sizeof(v));
}

static void
on_helo(void *ctx, const char *name, size_t len)
{
	tag(ctx, 'h', (unsigned)len, 0);
	mix(ctx, name, len);
}

static void
on_begin(void *ctx, const char *from, size_t len)
{
	struct fz *f = ctx;

	if (f->open || f->closed || len > MT_SMTP_LINE_MAX)
		__builtin_trap();
	f->open = 1;
	tag(f, 'b', (unsigned)len, 0);
	mix(f, from, len);
}

static void
on_rcpt(void *ctx, const char *to, size_t len)
{
	struct fz *f = ctx;

	if (!f->open || len > MT_SMTP_LINE_MAX)
		__builtin_trap();
	tag(f, 'r', (unsigned)len, 0);
	mix(f, to, len);
}

static void
on_rcpt_reply(void *ctx, unsigned idx, unsigned code)
{
	struct fz *f = ctx;

	if (!f->open || code < 100 || code > 599)
		__builtin_trap();
	tag(f, 'R', idx, code);
}

static void
on_data(void *ctx, const uint8_t *p, size_t len)
{
	struct fz *f = ctx;

	if (!f->open || len == 0)
		__builtin_trap();
	mix(f, p, len); /* no tag: chunk bounds must not matter */
}

static void
on_end(void *ctx, enum mt_smtp_end how, unsigned code)
{
	struct fz *f = ctx;

	if (!f->open || (unsigned)how > MT_SMTP_END_INCOMPLETE || !f->flags_seen)
		__builtin_trap();
	f->open = 0;
	f->flags_seen = 0;
	tag(f, 'e', how, code);
}

static void
on_event(void *ctx, enum mt_smtp_event ev)
{
	if ((unsigned)ev >= MT_SMTP_EV__COUNT)
		__builtin_trap();
	tag(ctx, 'v', ev, 0);
}

static void
on_banner(void *ctx, unsigned code, const char *t, size_t len)
{
	if (code < 100 || code > 599 || len > MT_SMTP_BANNER_MAX)
		__builtin_trap();
	tag(ctx, 'B', code, (unsigned)len);
	mix(ctx, t, len);
}

static void
on_reply(void *ctx, unsigned code)
{
	struct fz *f = ctx;

	if (!f->open || code < 100 || code > 599)
		__builtin_trap();
	tag(f, 'y', code, 0);
}

static void
on_mail_params(void *ctx, const char *p, size_t len)
{
	struct fz *f = ctx;

	if (!f->open || len == 0 || len > MT_SMTP_LINE_MAX)
		__builtin_trap();
	tag(f, 'p', (unsigned)len, 0);
	mix(f, p, len);
}

static void
on_rcpt_params(void *ctx, unsigned idx, const char *p, size_t len)
{
	struct fz *f = ctx;

	if (!f->open || len == 0 || len > MT_SMTP_LINE_MAX)
		__builtin_trap();
	tag(f, 'P', idx, (unsigned)len);
	mix(f, p, len);
}

static void
on_auth(void *ctx, const struct mt_smtp_auth *a)
{
	if (a->mech_len > MT_SMTP_MECH_MAX || a->authzid_len > MT_SMTP_ID_MAX ||
	    a->authcid_len > MT_SMTP_ID_MAX || (a->code != 0 && (a->code < 100 || a->code > 599)))
		__builtin_trap();
	tag(ctx, 'a', a->code, (unsigned)(a->authzid_len * 1000 + a->authcid_len));
	mix(ctx, a->mech, a->mech_len);
	mix(ctx, a->authzid, a->authzid_len);
	mix(ctx, a->authcid, a->authcid_len);
}

static void
on_xattr(void *ctx, const char *v, size_t vlen, const char *a, size_t alen)
{
	if (vlen > MT_SMTP_LINE_MAX || alen > MT_SMTP_LINE_MAX)
		__builtin_trap();
	tag(ctx, 'x', (unsigned)vlen, (unsigned)alen);
	mix(ctx, v, vlen);
	mix(ctx, a, alen);
}

static void
on_tx_flags(void *ctx, unsigned flags)
{
	struct fz *f = ctx;

	if (!f->open || f->flags_seen || flags > 0x3f)
		__builtin_trap();
	f->flags_seen = 1;
	tag(f, 'f', flags, 0);
}

static const struct mt_smtp_ops ops = {
	.helo = on_helo,
	.mail_begin = on_begin,
	.rcpt = on_rcpt,
	.rcpt_reply = on_rcpt_reply,
	.data = on_data,
	.mail_end = on_end,
	.event = on_event,
	.banner = on_banner,
	.reply = on_reply,
	.mail_params = on_mail_params,
	.rcpt_params = on_rcpt_params,
	.auth = on_auth,
	.xattr = on_xattr,
	.tx_flags = on_tx_flags,
};

static uint32_t
xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Feed the segments of d to a (whole) and b (one byte at a time). */
static void
feed_both(struct mt_smtp *a, struct mt_smtp *b, enum mt_dir dir,
	  const uint8_t *p, size_t n)
{
	size_t i;

	mt_smtp_feed(a, dir, p, n);
	for (i = 0; i < n; i++)
		mt_smtp_feed(b, dir, p + i, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mt_smtp *a = (struct mt_smtp *)slot_a;
	struct mt_smtp *b = (struct mt_smtp *)slot_b;
	struct fz fa = { .h = 0xcbf29ce484222325ull };
	struct fz fb = fa;
	size_t off = 1, len;
	uint32_t x;
	uint64_t h;

	if (n < 1 || mt_smtp_size() > sizeof(slot_a))
		return 0;
	if (d[0] & 2) {
		mt_smtp_init_midstream(a, &ops, &fa);
		mt_smtp_init_midstream(b, &ops, &fb);
	} else {
		mt_smtp_init(a, &ops, &fa);
		mt_smtp_init(b, &ops, &fb);
	}
	x = 0x9e3779b9u ^ d[0];
	while (off < n) {
		enum mt_dir dir;

		if ((d[0] & 1) == 0) {
			dir = (d[off] & 0x80) ? MT_DIR_S2C : MT_DIR_C2S;
			len = (size_t)(d[off] & 0x7f) + 1;
			off++;
			if (len == 0x80) { /* gap record */
				if (off >= n)
					break;
				mt_smtp_gap(a, dir, (uint32_t)d[off] + 1);
				mt_smtp_gap(b, dir, (uint32_t)d[off] + 1);
				off++;
				continue;
			}
		} else {
			uint32_t r = xorshift(&x);

			dir = (r & 0x100) ? MT_DIR_S2C : MT_DIR_C2S;
			len = (r & 63) + 1;
			if (((r >> 16) & 63) == 0) {
				mt_smtp_gap(a, dir, ((r >> 22) & 0xff) + 1);
				mt_smtp_gap(b, dir, ((r >> 22) & 0xff) + 1);
			}
		}
		len = MT_MIN(len, n - off);
		feed_both(a, b, dir, d + off, len);
		off += len;
	}
	mt_smtp_close(a);
	mt_smtp_close(b);
	if (fa.open || fb.open || fa.h != fb.h)
		__builtin_trap();
	if (mt_smtp_is_tls(a) != mt_smtp_is_tls(b))
		__builtin_trap();
	fa.closed = 1;
	h = fa.h;
	mt_smtp_close(a);
	mt_smtp_feed(a, MT_DIR_C2S, d, n);
	mt_smtp_feed(a, MT_DIR_S2C, d, n);
	mt_smtp_gap(a, MT_DIR_C2S, 5);
	if (fa.h != h)
		__builtin_trap();
	return 0;
}
