/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_replies.c - libFuzzer harness for lib/smtp's reply text for passive
 * fingerprinting (ops->reply_buf / ops->reply_text).
 *
 * Input: byte 0 picks the buffer size offered (1..256 octets, or none
 * when its bit 7 is set, for every third reply) and mid-stream start
 * (bit 6); byte 1 seeds a xorshift generator that cuts the rest into
 * 1..64-byte segments of either direction, with a gap once in 64.
 *
 * Checks: reply_text only for a reply reply_buf gave a buffer to, with
 * that buffer, len <= its size, code 100..599, the text starting with
 * three digits (the first line's code); nothing after a gap or in a mid-stream session; no
 * call after close; and feeding the same segments one byte at a time
 * gives the same replies (hashed).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mt_smtp.h"

struct fz {
	uint64_t h;
	char buf[256];
	size_t cap;
	int refuse_every3;
	unsigned asked;
	int given;      /* reply_buf handed out buf and no reply_text yet */
	int gapped;     /* a gap was declared: nothing may be reported */
	int midstream;
	int closed;
};

static uint64_t slot_a[8192 / sizeof(uint64_t)];
static uint64_t slot_b[8192 / sizeof(uint64_t)];

static void
mix(struct fz *f, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		f->h = (f->h ^ b[i]) * 0x100000001b3ull;
}

static char *
on_buf(void *ctx, const struct mt_smtp_cmd *cmd, size_t *cap)
{
	struct fz *f = ctx;

	if (f->closed || f->gapped || f->midstream || cmd->verb >= MT_SMTP_V__COUNT)
		__builtin_trap();
	f->asked++;
	if (f->refuse_every3 && f->asked % 3 == 0) {
		f->given = 0;
		return NULL;
	}
	f->given = 1;
	*cap = f->cap;
	return f->buf;
}

static void
on_text(void *ctx, const struct mt_smtp_cmd *cmd, unsigned code, const char *text,
	size_t len, int trunc)
{
	struct fz *f = ctx;
	if (!f->given || f->closed || text != f->buf || len > f->cap || code < 100 ||
	    code > 599)
		__builtin_trap();
	for (size_t i = 0; i < MT_MIN(len, (size_t)3); i++) /* a code first */
		if (text[i] < '0' || text[i] > '9')
			__builtin_trap();
	f->given = 0;
	mix(f, cmd, sizeof(*cmd));
	mix(f, &code, sizeof(code));
	mix(f, text, len);
	mix(f, &trunc, sizeof(trunc));
}

static const struct mt_smtp_ops ops = {
	.reply_buf = on_buf,
	.reply_text = on_text,
};

static uint32_t
xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mt_smtp *a = (struct mt_smtp *)slot_a;
	struct mt_smtp *b = (struct mt_smtp *)slot_b;
	static struct fz fa, fb;
	size_t off = 2, len, i;
	uint32_t x;

	if (n < 2 || mt_smtp_size() > sizeof(slot_a))
		return 0;
	memset(&fa, 0, sizeof(fa));
	fa.h = 0xcbf29ce484222325ull;
	fa.cap = (size_t)(d[0] & 0x3f) * 4 + 1;
	fa.refuse_every3 = (d[0] & 0x80) != 0;
	fa.midstream = (d[0] & 0x40) != 0;
	fb = fa;
	if (fa.midstream) {
		mt_smtp_init_midstream(a, &ops, &fa);
		mt_smtp_init_midstream(b, &ops, &fb);
	} else {
		mt_smtp_init(a, &ops, &fa);
		mt_smtp_init(b, &ops, &fb);
	}
	x = 0x9e3779b9u ^ d[1];
	while (off < n) {
		uint32_t r = xorshift(&x);
		enum mt_dir dir = (r & 0x100) ? MT_DIR_S2C : MT_DIR_C2S;

		len = MT_MIN((size_t)(r & 63) + 1, n - off);
		if (((r >> 16) & 63) == 0) {
			fa.gapped = fb.gapped = 1; /* before the call: none after */
			fa.given = fb.given = 0;
			mt_smtp_gap(a, dir, ((r >> 22) & 0xff) + 1);
			mt_smtp_gap(b, dir, ((r >> 22) & 0xff) + 1);
		}
		mt_smtp_feed(a, dir, d + off, len);
		for (i = 0; i < len; i++)
			mt_smtp_feed(b, dir, d + off + i, 1);
		off += len;
	}
	mt_smtp_close(a);
	mt_smtp_close(b);
	fa.closed = fb.closed = 1;
	mt_smtp_feed(a, MT_DIR_S2C, d, n);
	if (fa.h != fb.h)
		__builtin_trap();
	return 0;
}
