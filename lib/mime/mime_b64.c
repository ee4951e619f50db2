/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime_b64.c - streaming base64 decoder (RFC 2045 6.8).
 *
 * Four characters make three octets.  Blanks, CR and LF are skipped
 * anywhere.  "xx==" / "xxx=" close a quantum early; after padding, more
 * '=' are skipped and a new alphabet character starts a new quantum
 * (concatenated base64 bodies exist in the wild).  Anything else stops
 * the decoder so the caller can pass the rest raw.
 */
#include "mime_priv.h"

/* table: alphabet value + 1; 0 = not base64 */
enum { V_BAD = 0, V_WS = 65, V_PAD = 66 };

static const uint8_t b64v[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
	['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38,
	['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44,
	['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58,
	['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
	[' '] = V_WS, ['\t'] = V_WS, ['\r'] = V_WS, ['\n'] = V_WS,
	['='] = V_PAD,
};

size_t
mime_b64_decode(struct mime_b64 *d, const uint8_t *in, size_t n, uint8_t *out,
		size_t *used)
{
	uint8_t *o = out;
	size_t i = 0;

	while (i < n) {
		uint8_t v;

		/* Fast path: four alphabet characters on a quantum start. */
		if (d->n == 0 && !d->pad) {
			while (i + 4 <= n) {
				uint8_t a = (uint8_t)(b64v[in[i]] - 1);
				uint8_t b = (uint8_t)(b64v[in[i + 1]] - 1);
				uint8_t c = (uint8_t)(b64v[in[i + 2]] - 1);
				uint8_t e = (uint8_t)(b64v[in[i + 3]] - 1);
				uint32_t w;

				if ((a | b | c | e) & 0xc0)
					break; /* not four alphabet characters */
				w = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | e;
				o[0] = (uint8_t)(w >> 16);
				o[1] = (uint8_t)(w >> 8);
				o[2] = (uint8_t)w;
				o += 3;
				i += 4;
			}
			if (i >= n)
				break;
		}
		v = b64v[in[i]];
		if (v >= 1 && v <= 64) {
			v--;
			d->pad = 0;
			if (d->n < 3)
				d->raw[d->n] = in[i];
			d->acc = d->acc << 6 | v;
			if (++d->n == 4) {
				o[0] = (uint8_t)(d->acc >> 16);
				o[1] = (uint8_t)(d->acc >> 8);
				o[2] = (uint8_t)d->acc;
				o += 3;
				d->n = 0;
				d->acc = 0;
			}
		} else if (v == V_PAD) {
			if (d->n == 1)
				break; /* "x=": 6 bits cannot make an octet */
			if (d->n == 2) {
				*o++ = (uint8_t)(d->acc >> 4);
			} else if (d->n == 3) {
				*o++ = (uint8_t)(d->acc >> 10);
				*o++ = (uint8_t)(d->acc >> 2);
			}
			d->n = 0;
			d->acc = 0;
			d->pad = 1;
		} else if (v == V_BAD) {
			break;
		}
		i++;
	}
	*used = i;
	return (size_t)(o - out);
}

size_t
mime_b64_finish(struct mime_b64 *d, uint8_t *out, int *bad)
{
	size_t k = 0;

	*bad = 0;
	if (d->n == 2) {
		out[k++] = (uint8_t)(d->acc >> 4);
	} else if (d->n == 3) {
		out[k++] = (uint8_t)(d->acc >> 10);
		out[k++] = (uint8_t)(d->acc >> 2);
	} else if (d->n == 1) {
		*bad = 1;
		return 0;
	}
	d->n = 0;
	d->acc = 0;
	return k;
}
