/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_mime.h - streaming MIME parser: message octets in, decoded parts out.
 *
 * SYNOPSIS
 *	struct mt_mime *m = slot;                 (mt_mime_size() bytes)
 *	mt_mime_init(m, &ops, ctx);
 *	mt_mime_feed(m, bytes, n);                the message, split anywhere
 *	mt_mime_close(m);                         end of the message
 *	if (mt_mime_flags(m) & MT_MIME_F_...)     anomalies seen
 *
 * DESCRIPTION
 *	The caller pushes the octets of one message (RFC 5322 header section,
 *	blank line, body; dot-unstuffed) in order, split at any octet.  The
 *	parser walks the MIME structure (RFC 2045/2046) and calls back:
 *
 *	header(depth, p, n)  the raw octets of every header section, the
 *	                     message's own (depth 0) and each part's or
 *	                     embedded message's, including the blank line
 *	                     that ends it: input for a "headers" scan.
 *	part_begin(part)     a leaf part starts: its scope (body text or
 *	                     attachment), content type, filename.
 *	part_data(p, n)      its content, decoded (base64, quoted-printable)
 *	                     or passed through (7bit, 8bit, binary, unknown).
 *	part_end(part)       the part is over; part->flags is final.
 *
 *	Parts never nest in the callbacks: part_begin, part_data..., part_end,
 *	then the next part_begin.  A multipart's preamble and epilogue, when
 *	not empty, are reported as parts of their own (scope body, type "",
 *	flag MT_MIME_F_PREAMBLE / MT_MIME_F_EPILOGUE), so no octet of the
 *	message goes unreported.  message/rfc822 (and message/global) parts in
 *	7bit/8bit/binary are parsed as embedded messages: their header section
 *	goes to header(), their body to parts one level deeper.
 *
 *	Malformed MIME is passed on, never skipped, and flagged:
 *	  - multipart without a usable boundary: its body is one raw part
 *	    (MT_MIME_F_NO_BOUNDARY);
 *	  - a boundary that never appears: the body goes out as the
 *	    preamble part (MT_MIME_F_BOUNDARY_MISSING);
 *	  - no closing delimiter: MT_MIME_F_UNTERMINATED;
 *	  - base64 with a character outside the alphabet: the bytes decoded
 *	    so far, then the rest of the part as raw text from that character
 *	    on (MT_MIME_F_BAD_BASE64);
 *	  - a quoted-printable '=' not followed by two hex digits or a line
 *	    break: passed literally (MT_MIME_F_BAD_QP);
 *	  - a header-section line that is not a header field ("name:"): the
 *	    header section ends and that line is the first body line
 *	    (MT_MIME_F_BAD_HEADER; its octets were already given to header()).
 *
 *	Boundaries of every enclosing multipart are recognised, so a part
 *	whose own multipart lacks its closing delimiter still ends at an
 *	outer boundary.  A delimiter line is "--" boundary, optionally "--",
 *	then anything up to LF (transport padding, ignored); the line break
 *	before it belongs to the delimiter, not to the part.  Lines may end
 *	in CR LF or bare LF.
 *
 *	Scope: attachment when Content-Disposition is "attachment", when the
 *	part has a filename, or when its type is neither text/ nor message/;
 *	body otherwise (no Content-Type: text/plain).
 *
 *	Filenames: Content-Disposition filename= wins over Content-Type
 *	name=.  RFC 2231 forms are decoded: name*=charset'lang'%XX..., and
 *	continuations name*0=..., name*1*=... (joined in the order they
 *	appear); RFC 2047 encoded words (=?cs?B?...?= / =?cs?Q?...?=) in a
 *	plain value are decoded.  Bytes are kept as they are (no charset
 *	conversion); NUL and control characters become '_'.
 *
 *	No heap, no syscall: the state lives in caller memory; output is
 *	staged in a buffer on the stack of mt_mime_feed() and flushed to
 *	part_data() before each feed returns.  The decoders keep only their
 *	carry (base64: up to 3 characters; quoted-printable: "=", "=X" or
 *	"=" plus whitespace).
 *
 * LIMITS
 *	MT_MIME_DEPTH_MAX levels of multipart / embedded message; an entity
 *	deeper than that is one raw part (MT_MIME_F_DEPTH) whose body still
 *	ends at its enclosing boundaries.  Boundaries longer than
 *	MT_MIME_BOUNDARY_MAX: MT_MIME_F_NO_BOUNDARY.  A header field is
 *	parsed from its first MT_MIME_FIELD_MAX octets (unfolded);
 *	content types are cut to MT_MIME_TYPE_MAX - 1 octets and filenames to
 *	MT_MIME_NAME_MAX - 1 (MT_MIME_F_LONG_FIELD).  A field name longer than
 *	MT_MIME_FNAME_MAX octets is not a header field.  "=" plus more than
 *	64 blanks in quoted-printable is passed literally.
 */
#ifndef MT_MIME_H
#define MT_MIME_H

#include <stddef.h>
#include <stdint.h>

#define MT_MIME_DEPTH_MAX 8
#define MT_MIME_BOUNDARY_MAX 100
#define MT_MIME_FIELD_MAX 1024
#define MT_MIME_FNAME_MAX 76
#define MT_MIME_TYPE_MAX 64
#define MT_MIME_NAME_MAX 256

struct mt_mime;

enum mt_mime_scope {
	MT_MIME_SCOPE_HEADERS = 0, /* header() octets (never a part's scope) */
	MT_MIME_SCOPE_BODY,        /* text a reader sees */
	MT_MIME_SCOPE_ATTACHMENT,  /* decoded attachment content */
};

enum mt_mime_cte {
	MT_MIME_CTE_IDENTITY = 0,  /* 7bit, 8bit, binary, absent, unknown */
	MT_MIME_CTE_BASE64,
	MT_MIME_CTE_QP,
};

/* Anomaly flags, per part (struct mt_mime_part.flags) and per message
 * (mt_mime_flags(): the union of the parts' anomalies plus the structural
 * ones).  PREAMBLE and EPILOGUE only mark parts, never the message. */
#define MT_MIME_F_NO_BOUNDARY      (1u << 0)  /* multipart, no usable boundary */
#define MT_MIME_F_BOUNDARY_MISSING (1u << 1)  /* boundary never seen */
#define MT_MIME_F_UNTERMINATED     (1u << 2)  /* no closing delimiter */
#define MT_MIME_F_DEPTH            (1u << 3)  /* nesting beyond the limit */
#define MT_MIME_F_BAD_BASE64       (1u << 4)  /* raw fallback in a base64 part */
#define MT_MIME_F_BAD_QP           (1u << 5)  /* literal '=' sequence */
#define MT_MIME_F_BAD_HEADER       (1u << 6)  /* non-field line ended headers */
#define MT_MIME_F_LONG_FIELD       (1u << 7)  /* field/type/filename cut */
#define MT_MIME_F_PREAMBLE         (1u << 8)  /* this part is a preamble */
#define MT_MIME_F_EPILOGUE         (1u << 9)  /* this part is an epilogue */
#define MT_MIME_F__COUNT 10

/* What part_begin/part_end see; valid only during the callback. */
struct mt_mime_part {
	unsigned index;            /* 0, 1, ... in order of part_begin */
	unsigned depth;            /* 0: the message body itself */
	enum mt_mime_scope scope;  /* BODY or ATTACHMENT */
	enum mt_mime_cte cte;
	uint32_t flags;            /* MT_MIME_F_*; final at part_end */
	uint64_t raw_len;          /* encoded octets of the part body */
	uint64_t data_len;         /* octets given to part_data */
	const char *type;          /* "text/plain": lowercase, NUL-terminated;
	                            * "" for a preamble/epilogue */
	const char *filename;      /* "" if none */
};

/* Callbacks; any may be NULL.  Octets are only valid during the call. */
struct mt_mime_ops {
	void (*header)(void *ctx, unsigned depth, const uint8_t *p, size_t n);
	void (*part_begin)(void *ctx, const struct mt_mime_part *part);
	void (*part_data)(void *ctx, const uint8_t *p, size_t n);
	void (*part_end)(void *ctx, const struct mt_mime_part *part);
};

/* Bytes of caller memory one parser needs (about 3 KB; align 8). */
size_t mt_mime_size(void);

/* Initialise m (mt_mime_size() bytes) for a new message. */
void mt_mime_init(struct mt_mime *m, const struct mt_mime_ops *ops, void *ctx);

/* Push n octets of the message, in order.  All output they produce has
 * been delivered when it returns, except the few octets that cannot be
 * decided yet (a line break that may precede a boundary, a line start
 * that may be one, a decoder's carry).  No-op after mt_mime_close(). */
void mt_mime_feed(struct mt_mime *m, const uint8_t *p, size_t n);

/* End of the message: deliver what is held, end the open part, flag
 * unterminated multiparts.  Idempotent. */
void mt_mime_close(struct mt_mime *m);

/* MT_MIME_F_* seen so far in this message. */
uint32_t mt_mime_flags(const struct mt_mime *m);

/* Parts begun so far. */
unsigned mt_mime_parts(const struct mt_mime *m);

/* Name of one flag bit ("no_boundary", ...), for logs and JSON; "?" if
 * flag is not exactly one known bit. */
const char *mt_mime_flag_str(uint32_t flag);

/* "headers", "body", "attachment". */
const char *mt_mime_scope_str(enum mt_mime_scope scope);

#endif /* MT_MIME_H */
