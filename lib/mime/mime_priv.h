/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime_priv.h - lib/mime internals: streaming decoders and header-field
 * helpers.  Not for other modules.
 */
#ifndef MIME_PRIV_H
#define MIME_PRIV_H

#include <stddef.h>
#include <stdint.h>

/* base64: a quantum of up to 3 sextets is carried between calls; the
 * characters themselves are kept too, for the raw fallback. */
struct mime_b64 {
	uint32_t acc;
	uint8_t n;       /* sextets in acc (0..3) */
	uint8_t pad;     /* '=' seen: quantum closed, wait for more '=' */
	uint8_t raw[3];  /* the characters behind acc */
};

/*
 * Decode in[0..n) into out (room for n / 4 * 3 + 3 octets).  Stops at the
 * first character that is neither in the alphabet, nor blank, CR, LF, nor
 * a valid '=': *used is its index (n if none).  Returns octets written.
 */
size_t mime_b64_decode(struct mime_b64 *d, const uint8_t *in, size_t n,
		       uint8_t *out, size_t *used);

/* End of data: the octets of a 2- or 3-sextet carry (missing padding is
 * tolerated).  A lone sextet cannot be decoded: *bad = 1 and it stays in
 * d->raw[0] for the caller to pass raw.  Returns octets written (<= 2). */
size_t mime_b64_finish(struct mime_b64 *d, uint8_t *out, int *bad);

/* quoted-printable: state after '=' is carried. */
struct mime_qp {
	uint8_t st;   /* QP_TEXT, QP_EQ, QP_EQ1, QP_EQ_WS, QP_EQ_CR */
	uint8_t h1;   /* first hex digit after '=' */
	uint8_t ws;   /* blanks after '=' (soft break with trailing blanks) */
};

#define MIME_QP_SLACK 72 /* out needs n + MIME_QP_SLACK octets */

/* Decode in[0..n) into out; *bad is set when a literal '=' sequence was
 * passed on.  Returns octets written. */
size_t mime_qp_decode(struct mime_qp *d, const uint8_t *in, size_t n,
		      uint8_t *out, int *bad);

/* End of data: the carry, literally (room: MIME_QP_SLACK). */
size_t mime_qp_finish(struct mime_qp *d, uint8_t *out);

/*
 * Header fields.  v[0..n) is an unfolded field value.
 *
 * mime_hdr_token: the leading token (up to ';', blank or '('), lowercased
 * into out (NUL-terminated, cut to outsz - 1; *cut set when cut).
 *
 * mime_hdr_param: the parameter `want` (lowercase), handling RFC 2231
 * (want*=cs'lang'%XX, want*0=.., want*1*=..) and RFC 2047 encoded words
 * in a plain value.  Returns the length written into out (NUL-terminated),
 * or -1 when absent.
 */
void mime_hdr_token(const char *v, size_t n, char *out, size_t outsz, int *cut);
int mime_hdr_param(const char *v, size_t n, const char *want, char *out,
		   size_t outsz, int *cut);

#endif /* MIME_PRIV_H */
