/*
 * NAME
 *	mtgen - generate SMTP packet captures with exact ground truth
 *
 * SYNOPSIS
 *	mtgen --out FILE.pcap --truth DIR [--sessions N] [--concurrency M]
 *	      [--mails-per-session K|A-B] [--seed S] [--min-size B]
 *	      [--max-size B] [--mss N] [--split mss|random]
 *	      [--pipelining PCT] [--rcpt-reject PCT] [--ipv6 PCT]
 *	      [--vlan PCT] [--helo PCT] [--servers N] [--start-time EPOCH]
 *	      [--reorder PCT] [--reorder-window W] [--duplicate PCT]
 *	      [--drop PCT] [--overlap PCT] [--midstream PCT] [--paths]
 *	      [--bdat PCT] [--starttls PCT] [--noise PCT]
 *	      [--sizes lognormal|loguniform] [--quiet]
 *
 * DESCRIPTION
 *	mtgen writes a pcap (Ethernet, DLT_EN10MB, microsecond timestamps)
 *	of N complete SMTP sessions, M of them open at any time and
 *	interleaved at packet granularity, and writes into DIR the exact
 *	ground truth of every mail it put on the wire:
 *
 *	DIR/truth.jsonl	one JSON object per accepted mail, in the order the
 *			server's final "250" reply completes on the wire.
 *	DIR/mNNNNNN.eml	the unstuffed message bytes (what a receiving MTA
 *			stores), NNNNNN = the "n" field of truth.jsonl.
 *	DIR/rejected.jsonl
 *			transactions in which every recipient got 550 and
 *			the client sent RSET: no message went on the wire.
 *	DIR/summary.json
 *			totals: sessions, mails, packets, bytes, maximum
 *			number of simultaneously open sessions, options.
 *
 *	Old mNNNNNN.eml files in DIR are removed first.  The same options
 *	produce byte-identical output (own splitmix64 PRNG; the time stamps
 *	start at --start-time, not at the wall clock).
 *
 *	Wire format: Ethernet II, optional 802.1Q tag, IPv4 (DF, checksum,
 *	incrementing id per direction) or IPv6, TCP with a valid checksum,
 *	three-way handshake with MSS/SACK-permitted options, cumulative ACKs
 *	(the receiver of a multi-segment send ACKs every second segment),
 *	random ISNs, client-side FIN after QUIT/221.  Clients live in
 *	198.51.100.0/24, 203.0.113.0/24 and 2001:db8:1:2::/64, servers in
 *	192.0.2.25+ and 2001:db8:2::19+ on port 25.  Every session has a
 *	distinct (client address, client port).  Server i mimics Postfix,
 *	Exim or Sendmail (i mod 3) in its replies.
 *
 *	Impairments (all off by default; with none of them the output is
 *	exactly what it was before they existed) model what a tap on a real
 *	link sees: packets delayed within their flow, duplicated, missed by
 *	the tap (the endpoints saw them: no retransmission, a real gap),
 *	overlapping retransmissions carrying different bytes in the overlap
 *	(first data wins), and sessions whose start the tap never saw.  The
 *	truth then says per transaction whether it was affected, how many
 *	client bytes are missing, and the TCP sequence ranges it spans.
 *
 *	--paths: the six mail paths of the monitoring paper through two
 *	registered servers (192.0.2.25, 192.0.2.26); every hop of a mail is
 *	its own SMTP session, a relay adds a Received: header, and the truth
 *	names each record's path, hop, endpoints and whether it is the copy
 *	the registered-server policy keeps (tests/gen/README.md).
 *
 *	Extras (all off by default; off, the output is exactly what it
 *	was before they existed): --bdat sends the messages of PCT% of the
 *	non-pipelining EHLO sessions as BDAT chunks (CHUNKING advertised;
 *	1 KiB-1 MiB chunks, the last one "BDAT n LAST"; raw octets, no
 *	dot-stuffing; the truth is the same message).  --starttls: PCT% of
 *	the EHLO sessions say STARTTLS after EHLO (advertised), get 220, and
 *	then exchange random octets shaped like a TLS handshake and records
 *	the size of their mails; those mails are in no truth file (nothing
 *	after STARTTLS is readable; summary.json counts the sessions).
 *	--noise: after each SMTP packet, with PCT% probability, one frame
 *	of other traffic on the link (UDP to ports 53/123, TCP to 80/443,
 *	between hosts that are no SMTP server; not a real flow).
 *	--sizes loguniform: message sizes spread evenly in log scale over
 *	[--min-size, --max-size] (a 1-20 MiB tail, say) instead of the
 *	log-normal mix around 10 KiB.
 *
 *	Messages are RFC 5322 with CRLF line ends, ~70% text/plain, ~30%
 *	multipart/mixed with a base64 attachment; bodies deliberately hold
 *	lines that begin with "." and lines that are "." or ".." alone,
 *	which are dot-stuffed on the wire only.
 *
 * EXIT STATUS
 *	0 success, 1 I/O error, 2 usage error.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>

#define MAX_RCPT	5
#define ADDR_MAX	128
#define MSS_MAX		9000
#define FRAME_MAX	(14 + 4 + 40 + 28 + MSS_MAX)
#define SIZE_CAP	(256u << 20)
#define NPOOL4		508
#define NPOOL6		256
#define PORT_LO		32768
#define PORT_HI		60999

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_PSH	0x08
#define TH_ACK	0x10

enum dir { C2S, S2C };

enum state {
	ST_SYN, ST_SYNACK, ST_ACK, ST_GREET, ST_HELO, ST_HELO_R, ST_TXN,
	ST_PIPE_R, ST_MAIL_R, ST_RCPT, ST_RCPT_R, ST_DATA, ST_DATA_R,
	ST_MSG, ST_MSG_R, ST_RSET, ST_RSET_R, ST_QUIT_R, ST_FIN1, ST_FIN2,
	ST_LAST, ST_DONE, ST_TLS, ST_TLS_R, ST_TLS_DATA, ST_BDAT, ST_BDAT_R
};

enum done { DONE_NONE, DONE_MAIL, DONE_REJ };

enum flavor { FL_POSTFIX, FL_EXIM, FL_SENDMAIL, FL_COUNT };
static const char *const flavor_name[FL_COUNT] = {
	"postfix", "exim", "sendmail"
};

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64.                                                   */

struct rng {
	uint64_t s;
};

static inline uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void
rng_seed(struct rng *r, uint64_t a, uint64_t b)
{
	r->s = a * 0xd1342543de82ef95ULL + b;
	r->s = rng_next(r) ^ b;
	(void)rng_next(r);
}

/* Uniform in [0, n). */
static inline uint64_t
rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static inline uint64_t
rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static inline bool
rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

static inline double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#define PICK(r, a)	((a)[rng_below((r), sizeof(a) / sizeof((a)[0]))])

/* ------------------------------------------------------------------ */
/* Growable byte buffer.                                               */

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("mtgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void
buf_reserve(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n <= b->cap)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL)
		die(1, "out of memory (%zu bytes)", cap);
	b->p = p;
	b->cap = cap;
}

static inline void
buf_add(struct buf *b, const void *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void
buf_addc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = c;
}

static void __attribute__((format(printf, 2, 3)))
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(1, "vsnprintf failed");
	buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* ------------------------------------------------------------------ */
/* Options.                                                            */

static struct {
	const char *out;
	const char *truth;
	uint64_t sessions;
	unsigned conc;
	unsigned kmin, kmax;
	uint64_t seed;
	uint64_t min_size, max_size;
	unsigned mss;
	bool split_random;
	unsigned pipelining, rcpt_reject, ipv6, vlan, helo;
	unsigned servers;
	uint64_t start_time;
	bool quiet;
	/* impairments, percentages */
	unsigned reorder, rwin, duplicate, drop, overlap, midstream;
	/* --paths: --sessions counts mails, each one a chain of hops */
	bool paths;
	uint64_t path_mails;
	/* extras, percentages; sizes */
	unsigned bdat, starttls, noise;
	bool loguniform;
} opt = {
	.sessions = 100,
	.conc = 10,
	.kmin = 1,
	.kmax = 1,
	.seed = 1,
	.min_size = 1024,
	.max_size = 10u << 20,
	.mss = 1460,
	.helo = 5,
	.servers = 3,
	.start_time = 1704067200,	/* 2024-01-01T00:00:00Z */
	.rwin = 4,
};

/* ------------------------------------------------------------------ */
/* Session and generator state.                                        */

struct ep {
	uint8_t ip[16];
	uint8_t mac[6];
	uint16_t port;
	char ipstr[INET6_ADDRSTRLEN];
};

struct txn {
	char from[ADDR_MAX];
	char rcpt[MAX_RCPT][ADDR_MAX];
	bool ok[MAX_RCPT];
	unsigned nrcpt, naccepted;
	bool eight;
	uint64_t size_param;
	char qid[32];
	struct buf raw;		/* message as stored */
	struct buf wire;	/* dot-stuffed + ".\r\n" */
};

struct send {
	enum dir dir;
	const char *p;
	size_t len, off;
	enum done on_done;
	bool active;
};

/* A packet held back (reordered, duplicate copy, retransmission). */
struct held {
	uint8_t *f;
	uint32_t len, plen;
	uint32_t left;		/* session packets to let pass first */
	enum dir dir;
	struct pend *txn;	/* original data packet of this transaction */
};

/* Data segment P waiting for its overlapping retransmission. */
struct ovp {
	bool on;
	uint32_t seq;
	size_t len;
	uint8_t *p;		/* copy of P's payload */
};

/*
 * A transaction whose truth record is not written yet (impairments on):
 * written when its last original data packet reaches the capture (or
 * when the generator finishes it, if some never do).
 */
struct pend {
	struct sess *s;
	struct pend *next;	/* s->plist */
	unsigned mail_i;
	bool final_done, moved, affected, midstream;
	unsigned held;		/* original data packets still held back */
	uint64_t ndata, nsupp;	/* data packets, of which before the cut */
	uint64_t missing;	/* dropped client->server payload bytes */
	uint32_t c_seq0, c_seq1, s_seq0, s_seq1;
	struct txn t;		/* valid when moved */
};

struct sess {
	uint64_t idx;
	struct rng r;
	enum state st;
	bool v6, vlan, ehlo, pipe, opened;
	uint16_t vlan_id;
	uint32_t flow;
	uint8_t ttl;
	unsigned srv_idx;
	enum flavor fl;
	struct ep cli, srv;
	char helo[64];
	char srvname[64];
	char rdomain[64];
	uint32_t c_nxt, s_nxt;
	uint16_t c_id, s_id;
	unsigned nmails, mail_i, rcpt_i;
	struct txn t;
	struct buf cbuf, sbuf;
	struct send cur;
	unsigned unacked;
	bool ack_due;
	/* impairments */
	struct rng ir;
	struct held *hq;
	unsigned nh, hcap;
	uint8_t **spare;
	unsigned nspare, spcap;
	struct ovp ov[2];
	struct pend *txn;	/* transaction being generated */
	struct pend *plist;	/* unwritten transactions */
	bool final_seg;		/* next data segment ends a transaction */
	bool mid_on, mid_wait;	/* tap not started yet; cut set at mid_txn */
	unsigned mid_txn;
	uint64_t mid_left;
	/* --bdat, --starttls: their own stream */
	struct rng xr;
	bool bdat, tls;
	size_t bdat_off;
	unsigned tls_phase;
	/* --paths */
	unsigned path, hop, nhops;	/* path 1..6, hop 0..nhops-1 */
	uint64_t chain_id;		/* the mail (0-based) */
	struct chain *chain;		/* hand-off to the next hop */
};

/*
 * --paths: the paper's six ways a mail crosses the site (MISSION.md,
 * Source 1).  Nodes: anyIP clients, the two registered servers, and an
 * outside server.  Each hop is its own SMTP session; a relay hop starts
 * only after the previous hop's final 250 is on the wire, and forwards
 * that hop's message with one Received: line prepended.
 */
enum node { N_EXTC, N_USER, N_REG1, N_REG2, N_EXTS };

static const struct {
	unsigned nhops;
	enum node n[4];
} paths[7] = {
	{ 0, { 0 } },
	{ 1, { N_EXTC, N_REG1 } },
	{ 2, { N_EXTC, N_REG1, N_REG2 } },
	{ 1, { N_USER, N_REG1 } },
	{ 2, { N_USER, N_REG1, N_REG2 } },
	{ 2, { N_USER, N_REG1, N_EXTS } },
	{ 3, { N_USER, N_REG1, N_REG2, N_EXTS } },
};
#define PATH_CYCLE_HOPS	11	/* hops of paths 1..6 */

static const char *const node_name[] = {
	"external-client", "internal-user", "internal-1", "internal-2",
	"external-server"
};

static bool
node_registered(enum node n)
{
	return n == N_REG1 || n == N_REG2;
}

/* The message a hop delivered, waiting for the next hop. */
struct chain {
	struct chain *next;
	uint64_t id;
	unsigned done;		/* hops whose final 250 is on the wire */
	bool v6;
	struct txn t;		/* accepted recipients only */
	enum flavor fl;		/* the receiving server of hop done-1 */
	char helo[64], cliip[INET6_ADDRSTRLEN], srvname[64];
};

static struct {
	pcap_t *pc;
	pcap_dumper_t *pd;
	FILE *pf;
	FILE *truth;
	FILE *rej;
	struct rng sched;
	struct rng setup;
	uint64_t now;		/* microseconds since the epoch */
	uint8_t frame[FRAME_MAX];
	uint16_t port4[NPOOL4], port6[NPOOL6];
	char *path;		/* scratch for DIR/file names */
	size_t pathcap;
	/* statistics */
	uint64_t packets, bytes, c2s_payload, s2c_payload;
	uint64_t mails, rejected, rcpt_ok, rcpt_rej, mail_bytes;
	uint64_t open, max_open, sessions_done;
	uint64_t first_ts;
	/* impairments */
	bool imp;
	uint8_t frame2[FRAME_MAX];
	uint8_t scratch[MSS_MAX];
	uint64_t dropped, dropped_bytes, duplicated, reordered, overlapped;
	uint64_t mid_sessions, mid_packets, aff_mails, aff_rej;
	/* --paths */
	struct chain *chains;
	uint16_t rport[2][2];	/* relay client ports [REG1/REG2][v4/v6] */
	/* extras */
	struct rng noise;
	uint8_t nframe[14 + 20 + 20 + 1460];
	uint64_t noise_packets, noise_bytes, tls_sessions, tls_bytes;
	uint64_t bdat_sessions, bdat_chunks;
} g;

/* ------------------------------------------------------------------ */
/* Vocabulary.                                                         */

static const char *const words[] = {
	"the", "of", "and", "to", "in", "is", "for", "that", "on", "with",
	"as", "it", "be", "at", "by", "this", "from", "or", "have", "an",
	"are", "not", "we", "will", "can", "all", "your", "please", "report",
	"meeting", "schedule", "project", "budget", "review", "attached",
	"document", "quarter", "invoice", "payment", "order", "shipment",
	"delivery", "customer", "support", "ticket", "update", "release",
	"server", "network", "traffic", "monitor", "packet", "session",
	"message", "mail", "thanks", "regards", "tomorrow", "today",
	"monday", "friday", "deadline", "draft", "final", "version",
	"comments", "changes", "agenda", "minutes", "office", "team",
	"manager", "account", "password", "security", "policy", "training",
	"contract", "proposal", "estimate", "forecast", "analysis", "data",
	"results", "summary", "question", "answer", "issue", "problem",
	"solution", "feature", "request", "approval", "confirm", "cancel",
	"travel", "hotel", "flight", "conference", "lunch", "coffee",
	"weekend", "holiday", "vacation", "birthday", "party", "welcome",
	"introduction", "follow", "up", "reminder", "urgent", "important",
	"notice", "newsletter", "subscription", "unsubscribe", "offer",
	"discount", "price", "product", "service", "quality", "warranty",
	"kernel", "bypass", "capture", "mirror", "appliance", "throughput",
	"latency", "queue", "buffer", "spool", "relay", "domain", "record",
};

static const char *const words8[] = {
	"caf\xc3\xa9", "na\xc3\xafve", "Gr\xc3\xbc\xc3\x9f" "e",
	"\xc3\xbc" "ber", "d\xc3\xa9j\xc3\xa0", "fa\xc3\xa7" "ade",
	"ni\xc3\xb1o", "Stra\xc3\x9f" "e", "\xc3\xa9l\xc3\xa8ve",
	"sm\xc3\xb6rg\xc3\xa5sbord",
};

static const char *const first_names[] = {
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
	"ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
	"sybil", "trent", "victor", "walter", "yolanda", "zoe", "kim",
};

static const char *const last_names[] = {
	"smith", "jones", "miller", "garcia", "martin", "muller", "rossi",
	"dubois", "tanaka", "kowalski", "novak", "berg", "lee", "singh",
};

static const char *const sender_domains[] = {
	"example.org", "example.com", "mail.example.org", "corp.example",
	"shop.example", "lists.example.org", "news.example.com",
	"isp.example",
};

static const char *const rcpt_domains[] = {
	"example.net", "example.com", "example.edu", "mail.example",
	"example.info",
};

static const char *const mailers[] = {
	"Mozilla Thunderbird 115.6.0", "Microsoft Outlook 16.0",
	"Apple Mail (2.3774.300.61.1.2)", "mutt/2.2.12", "Roundcube 1.6.5",
	"PHPMailer 6.9.1",
};

static const char *const attach_types[][2] = {
	{ "application/pdf", "pdf" },
	{ "image/png", "png" },
	{ "application/zip", "zip" },
	{ "application/octet-stream", "bin" },
	{ "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document", "docx" },
};

static const char *const dot_lines[] = {
	".", "..", "...", ".hidden line that starts with a dot",
	"..two dots at the start", ". a dot and a space", ".\t", ".-",
};

/* ------------------------------------------------------------------ */
/* Message generation.                                                */

/* Random local part. */
static void
gen_local(struct rng *r, char *out, size_t n)
{
	const char *f = PICK(r, first_names), *l = PICK(r, last_names);

	switch (rng_below(r, 5)) {
	case 0:
		snprintf(out, n, "%s", f);
		break;
	case 1:
		snprintf(out, n, "%s_%s%u", f, l, (unsigned)rng_below(r, 100));
		break;
	case 2:
		snprintf(out, n, "%c.%s", f[0], l);
		break;
	case 3:
		snprintf(out, n, "%s.%s+%s", f, l, PICK(r, words));
		break;
	default:
		snprintf(out, n, "%s.%s", f, l);
		break;
	}
}

static void
gen_addr(struct rng *r, const char *domain, char *out, size_t n)
{
	char lp[64];

	gen_local(r, lp, sizeof(lp));
	snprintf(out, n, "%s@%s", lp, domain);
}

/* Line length (content, without CRLF), 0..998. */
static size_t
pick_len(struct rng *r)
{
	uint64_t x = rng_below(r, 100);

	if (x < 75)
		return rng_range(r, 20, 78);
	if (x < 90)
		return rng_range(r, 1, 19);
	if (x < 98)
		return rng_range(r, 79, 300);
	return rng_range(r, 301, 998);
}

/* Exactly len bytes of words, no CRLF, never starting with '.'. */
static void
gen_words(struct rng *r, struct buf *b, size_t len, bool eight)
{
	size_t done = 0, wl;
	const char *w;

	while (done < len) {
		if (eight && rng_below(r, 12) == 0)
			w = PICK(r, words8);
		else
			w = PICK(r, words);
		wl = strlen(w);
		if (done + wl > len) {
			while (done < len) {
				buf_addc(b, (char)('a' + rng_below(r, 26)));
				done++;
			}
			break;
		}
		buf_add(b, w, wl);
		done += wl;
		if (done < len) {
			uint64_t p = rng_below(r, 100);

			if (p < 5 && done + 1 < len) {
				buf_addc(b, p < 3 ? ',' : '.');
				done++;
			}
			buf_addc(b, ' ');
			done++;
		}
	}
}

/*
 * Append text lines totalling exactly rem bytes (rem == 0 or rem >= 2;
 * rem == 1 is rounded up to 2).  Mixes in empty lines and lines that
 * begin with '.'.  With end_dot the last line is "." when possible.
 */
static void
fill_text(struct rng *r, struct buf *b, size_t rem, bool eight, bool end_dot)
{
	size_t l;

	if (rem == 1)
		rem = 2;
	while (rem > 0) {
		if (rem <= 1000) {
			if (end_dot && rem >= 5) {
				gen_words(r, b, rem - 5, eight);
				buf_add(b, "\r\n.\r\n", 5);
			} else if (rem == 3 && rng_pct(r, 50)) {
				buf_add(b, ".\r\n", 3);
			} else if (rem == 4 && rng_pct(r, 50)) {
				buf_add(b, "..\r\n", 4);
			} else {
				gen_words(r, b, rem - 2, eight);
				buf_add(b, "\r\n", 2);
			}
			return;
		}
		l = rng_below(r, 100);
		if (l < 3) {
			const char *d = PICK(r, dot_lines);

			buf_adds(b, d);
			l = strlen(d);
		} else if (l < 9) {
			l = 0;
		} else {
			l = pick_len(r);
			if (rem - (l + 2) == 1)
				l--;
			gen_words(r, b, l, eight);
		}
		buf_add(b, "\r\n", 2);
		rem -= l + 2;
	}
}

static void
fmt_date(char *out, size_t n, uint64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void
gen_qid(struct rng *r, enum flavor fl, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned i, n = 0;

	switch (fl) {
	case FL_POSTFIX:
		for (i = 0; i < 10; i++)
			out[n++] = hex[rng_below(r, 16)];
		break;
	case FL_EXIM:
		for (i = 0; i < 16; i++)
			out[n++] = (i == 6 || i == 13) ? '-' :
			    b62[rng_below(r, 62)];
		break;
	default:
		for (i = 0; i < 14; i++)
			out[n++] = b62[rng_below(r, 62)];
		break;
	}
	out[n] = '\0';
}

static void
b64_line(struct rng *r, struct buf *b, size_t raw)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t in[57];
	size_t i;
	uint64_t x = 0;

	for (i = 0; i < raw; i++) {
		if ((i & 7) == 0)
			x = rng_next(r);
		in[i] = (uint8_t)x;
		x >>= 8;
	}
	buf_reserve(b, 78);
	for (i = 0; i + 2 < raw; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		b->p[b->len++] = tab[v >> 18];
		b->p[b->len++] = tab[(v >> 12) & 63];
		b->p[b->len++] = tab[(v >> 6) & 63];
		b->p[b->len++] = tab[v & 63];
	}
	if (raw - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		b->p[b->len++] = tab[v >> 18];
		b->p[b->len++] = tab[(v >> 12) & 63];
		b->p[b->len++] = '=';
		b->p[b->len++] = '=';
	} else if (raw - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | in[i + 1] << 8;

		b->p[b->len++] = tab[v >> 18];
		b->p[b->len++] = tab[(v >> 12) & 63];
		b->p[b->len++] = tab[(v >> 6) & 63];
		b->p[b->len++] = '=';
	}
	b->p[b->len++] = '\r';
	b->p[b->len++] = '\n';
}

/* Wire bytes of raw attachment bytes in 57-byte (76-char) lines. */
static size_t
b64_size(size_t raw)
{
	size_t full = raw / 57, rest = raw % 57;

	return full * 78 + (rest ? (rest + 2) / 3 * 4 + 2 : 0);
}

static uint64_t
pick_size(struct rng *r)
{
	double u1, u2, z, v;

	if (opt.loguniform) {
		v = exp(log((double)opt.min_size) + rng_unit(r) *
		    (log((double)opt.max_size) - log((double)opt.min_size)));
		return v < (double)opt.min_size ? opt.min_size :
		    v > (double)opt.max_size ? opt.max_size : (uint64_t)v;
	}
	u1 = rng_unit(r);
	u2 = rng_unit(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	v = exp(log(10240.0) + 0.85 * z);
	if (v < (double)opt.min_size)
		return opt.min_size;
	if (v > (double)opt.max_size)
		return opt.max_size;
	return (uint64_t)v;
}

static void
capitalize(char *s)
{
	if (*s)
		*s = (char)toupper((unsigned char)*s);
}

static void stuff_wire(struct txn *t);

/* Build s->t.raw (the message) and s->t.wire (dot-stuffed + ".\r\n"). */
static void
gen_message(struct sess *s)
{
	struct rng *r = &s->r;
	struct txn *t = &s->t;
	struct buf *b = &t->raw;
	uint64_t target = pick_size(r);
	bool multi = rng_pct(r, 30);
	char date[64], fn[32], ln[32], bnd[64], sid[16], fname[64];
	unsigned i, col;
	size_t hdr;

	b->len = 0;
	t->eight = s->ehlo && !multi && rng_pct(r, 10);
	fmt_date(date, sizeof(date), g.now - rng_range(r, 1, 5000000));
	gen_qid(r, FL_POSTFIX, sid);

	/* A previous hop's trace header, folded as MTAs do. */
	buf_addf(b, "Received: from [10.%u.%u.%u] (unknown [10.%u.%u.%u])\r\n"
	    "\tby %s (Postfix) with ESMTPSA id %s\r\n\tfor <%s>; %s\r\n",
	    (unsigned)(s->idx >> 8 & 255), (unsigned)(s->idx & 255),
	    s->mail_i & 255, (unsigned)(s->idx >> 8 & 255),
	    (unsigned)(s->idx & 255), s->mail_i & 255, s->helo, sid,
	    t->rcpt[0], date);
	if (t->from[0] == '\0') {
		buf_addf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
		    s->helo);
	} else {
		snprintf(fn, sizeof(fn), "%s", PICK(r, first_names));
		snprintf(ln, sizeof(ln), "%s", PICK(r, last_names));
		capitalize(fn);
		capitalize(ln);
		buf_addf(b, "From: %s %s <%s>\r\n", fn, ln, t->from);
	}
	buf_adds(b, "To: ");
	col = 4;
	for (i = 0; i < t->nrcpt; i++) {
		size_t al = strlen(t->rcpt[i]);

		if (i > 0) {
			if (col + al + 2 > 76) {
				buf_adds(b, ",\r\n ");
				col = 1;
			} else {
				buf_adds(b, ", ");
				col += 2;
			}
		}
		buf_add(b, t->rcpt[i], al);
		col += (unsigned)al;
	}
	buf_adds(b, "\r\nSubject: ");
	if (rng_pct(r, 20))
		buf_adds(b, rng_pct(r, 50) ? "Re: " : "Fwd: ");
	{
		size_t st = b->len;

		gen_words(r, b, rng_range(r, 8, 60), false);
		if (b->p[st] >= 'a' && b->p[st] <= 'z')
			b->p[st] = (char)(b->p[st] - 'a' + 'A');
	}
	buf_addf(b, "\r\nDate: %s\r\n", date);
	buf_addf(b, "Message-ID: <%016" PRIx64 ".%" PRIu64 ".%u@%s>\r\n",
	    rng_next(r), s->idx, s->mail_i,
	    t->from[0] ? strchr(t->from, '@') + 1 : s->helo);
	buf_adds(b, "MIME-Version: 1.0\r\n");
	if (rng_pct(r, 50))
		buf_addf(b, "X-Mailer: %s\r\n", PICK(r, mailers));

	if (multi) {
		size_t pre, ahdr, close_len, avail, budget, raw;
		unsigned at = (unsigned)rng_below(r, sizeof(attach_types) /
		    sizeof(attach_types[0]));
		struct buf tmp = { 0 };

		snprintf(bnd, sizeof(bnd), "----=_Part_%" PRIu64 "_%u.%08" PRIx64,
		    s->idx, s->mail_i, rng_next(r) & 0xffffffffu);
		buf_addf(b, "Content-Type: multipart/mixed;\r\n\tboundary=\"%s\""
		    "\r\n\r\n", bnd);
		buf_addf(b, "This is a multi-part message in MIME format.\r\n"
		    "\r\n--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
		    "Content-Transfer-Encoding: 7bit\r\n\r\n", bnd);
		pre = b->len;
		snprintf(fname, sizeof(fname), "%s_%u.%s", PICK(r, words),
		    (unsigned)rng_below(r, 1000), attach_types[at][1]);
		buf_addf(&tmp, "--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n"
		    "Content-Disposition: attachment; filename=\"%s\""
		    "\r\n\r\n", bnd, attach_types[at][0], fname, fname);
		ahdr = tmp.len;
		close_len = strlen(bnd) + 6;	/* "--" bnd "--\r\n" */
		avail = target > pre + ahdr + close_len + 300 ?
		    target - pre - ahdr - close_len : 300;
		budget = (size_t)((double)avail * (0.6 + 0.35 * rng_unit(r)));
		raw = budget / 78 * 57 + rng_below(r, 57);
		while (raw > 0 && b64_size(raw) + 100 > avail) {
			if (raw > 57)
				raw -= 57;
			else
				raw = 0;
		}
		fill_text(r, b, avail - b64_size(raw), false, false);
		buf_add(b, tmp.p, tmp.len);
		free(tmp.p);
		while (raw > 0) {
			size_t n = raw > 57 ? 57 : raw;

			b64_line(r, b, n);
			raw -= n;
		}
		buf_addf(b, "--%s--\r\n", bnd);
	} else {
		buf_addf(b, "Content-Type: text/plain; charset=%s%s\r\n"
		    "Content-Transfer-Encoding: %s\r\n\r\n",
		    t->eight ? "utf-8" : "us-ascii",
		    rng_pct(r, 30) ? "; format=flowed" : "",
		    t->eight ? "8bit" : "7bit");
		hdr = b->len;
		fill_text(r, b, target > hdr + 2 ? target - hdr : 3, t->eight,
		    rng_pct(r, 5));
	}

	stuff_wire(t);
}

/* Dot-stuff t->raw onto t->wire, with the ".\r\n" terminator. */
static void
stuff_wire(struct txn *t)
{
	struct buf *b = &t->raw;
	const char *p, *end;

	t->wire.len = 0;
	buf_reserve(&t->wire, b->len + b->len / 64 + 8);
	p = b->p;
	end = b->p + b->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (*p == '.')
			buf_addc(&t->wire, '.');
		buf_add(&t->wire, p, n);
		p += n;
	}
	buf_add(&t->wire, ".\r\n", 3);
}

/*
 * --paths, hop > 0: the relay forwards what the previous hop delivered,
 * to the accepted recipients, with its own trace line on top (the
 * receiving server of the previous hop is the client of this one).
 */
static void
relay_txn(struct sess *s)
{
	struct rng *r = &s->r;
	struct txn *t = &s->t;
	struct chain *c = s->chain;
	char date[64], qid[32];
	unsigned i;

	snprintf(t->from, ADDR_MAX, "%s", c->t.from);
	t->nrcpt = t->naccepted = c->t.nrcpt;
	for (i = 0; i < t->nrcpt; i++) {
		snprintf(t->rcpt[i], ADDR_MAX, "%s", c->t.rcpt[i]);
		t->ok[i] = true;
	}
	t->eight = c->t.eight;
	gen_qid(r, s->fl, t->qid);
	fmt_date(date, sizeof(date), g.now);
	snprintf(qid, sizeof(qid), "%s", c->t.qid);
	t->raw.len = 0;
	if (c->fl == FL_EXIM)
		buf_addf(&t->raw, "Received: from %s ([%s])\r\n"
		    "\tby %s with esmtp (Exim 4.96)\r\n\t(envelope-from <%s>)"
		    "\r\n\tid %s\r\n\tfor %s; %s\r\n", c->helo, c->cliip,
		    c->srvname, t->from, qid, t->rcpt[0], date);
	else
		buf_addf(&t->raw, "Received: from %s (%s [%s])\r\n"
		    "\tby %s (Postfix) with ESMTP id %s\r\n"
		    "\tfor <%s>; %s\r\n", c->helo, c->helo, c->cliip,
		    c->srvname, qid, t->rcpt[0], date);
	buf_add(&t->raw, c->t.raw.p, c->t.raw.len);
	stuff_wire(t);
	t->size_param = rng_pct(r, 50) ? t->raw.len : 0;
	if (s->hop + 1 == s->nhops) {
		s->chain = NULL;
		/* the last hop: nobody needs the chain any more */
		struct chain **pp;

		for (pp = &g.chains; *pp != c; pp = &(*pp)->next)
			;
		*pp = c->next;
		free(c->t.raw.p);
		free(c->t.wire.p);
		free(c);
	}
}

/* --paths: hand the delivered mail on to the next hop. */
static void
chain_handoff(struct sess *s)
{
	struct chain *c = s->chain;
	struct txn *t = &s->t;
	unsigned i;

	if (c == NULL)
		return;
	snprintf(c->t.from, ADDR_MAX, "%s", t->from);
	c->t.nrcpt = 0;
	for (i = 0; i < t->nrcpt; i++)
		if (t->ok[i])
			snprintf(c->t.rcpt[c->t.nrcpt++], ADDR_MAX, "%s",
			    t->rcpt[i]);
	c->t.eight = t->eight;
	snprintf(c->t.qid, sizeof(c->t.qid), "%s", t->qid);
	c->t.raw.len = 0;
	buf_add(&c->t.raw, t->raw.p, t->raw.len);
	c->fl = s->fl;
	snprintf(c->helo, sizeof(c->helo), "%s", s->helo);
	snprintf(c->cliip, sizeof(c->cliip), "%s", s->cli.ipstr);
	snprintf(c->srvname, sizeof(c->srvname), "%s", s->srvname);
	c->done = s->hop + 1;
	s->chain = NULL;
}

/* Choose sender, recipients, verdicts, and build the message. */
static void
new_txn(struct sess *s)
{
	struct rng *r = &s->r;
	struct txn *t = &s->t;
	static const unsigned nr_w[] = { 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5 };
	unsigned i, j;

	if (s->hop > 0) {
		relay_txn(s);
		return;
	}
	if (rng_pct(r, 2))
		t->from[0] = '\0';
	else
		gen_addr(r, PICK(r, sender_domains), t->from, ADDR_MAX);
	t->nrcpt = PICK(r, nr_w);
	t->naccepted = 0;
	for (i = 0; i < t->nrcpt; i++) {
again:
		gen_addr(r, rng_pct(r, 85) ? s->rdomain : PICK(r, rcpt_domains),
		    t->rcpt[i], ADDR_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(t->rcpt[i], t->rcpt[j]) == 0)
				goto again;
		t->ok[i] = !rng_pct(r, opt.rcpt_reject);
		t->naccepted += t->ok[i];
	}
	if (opt.paths && t->naccepted == 0) {
		/* a mail that travels on needs a recipient */
		t->ok[0] = true;
		t->naccepted = 1;
	}
	gen_qid(r, s->fl, t->qid);
	gen_message(s);
	t->size_param = s->ehlo && rng_pct(r, 50) ? t->raw.len : 0;
}

/* ------------------------------------------------------------------ */
/* SMTP dialogue text.                                                 */

static void
cmd_mail(struct sess *s, struct buf *b)
{
	buf_addf(b, "MAIL FROM:<%s>", s->t.from);
	if (s->t.size_param)
		buf_addf(b, " SIZE=%" PRIu64, s->t.size_param);
	if (s->t.eight)
		buf_adds(b, " BODY=8BITMIME");
	buf_adds(b, "\r\n");
}

static void
rep_greet(struct sess *s, struct buf *b)
{
	char date[64];

	fmt_date(date, sizeof(date), g.now);
	switch (s->fl) {
	case FL_POSTFIX:
		buf_addf(b, "220 %s ESMTP Postfix\r\n", s->srvname);
		break;
	case FL_EXIM:
		buf_addf(b, "220 %s ESMTP Exim 4.96 %s\r\n", s->srvname, date);
		break;
	default:
		buf_addf(b, "220 %s ESMTP Sendmail 8.17.1/8.17.1; %s\r\n",
		    s->srvname, date);
		break;
	}
}

static void rep_helo_base(struct sess *s, struct buf *b);

/* The EHLO reply, with CHUNKING / STARTTLS after its first line for the
 * sessions that use them. */
static void
rep_helo(struct sess *s, struct buf *b)
{
	size_t start = b->len, first;
	char ext[64];
	int n;

	rep_helo_base(s, b);
	if (!s->ehlo || (!s->bdat && !s->tls))
		return;
	n = snprintf(ext, sizeof(ext), "%s%s", s->bdat ? "250-CHUNKING\r\n" : "",
	    s->tls ? "250-STARTTLS\r\n" : "");
	for (first = start; first + 1 < b->len; first++)
		if (b->p[first] == '\r' && b->p[first + 1] == '\n')
			break;
	first += 2;
	buf_reserve(b, (size_t)n);
	memmove(b->p + first + n, b->p + first, b->len - first);
	memcpy(b->p + first, ext, (size_t)n);
	b->len += (size_t)n;
}

static void
rep_helo_base(struct sess *s, struct buf *b)
{
	if (!s->ehlo) {
		if (s->fl == FL_POSTFIX)
			buf_addf(b, "250 %s\r\n", s->srvname);
		else
			buf_addf(b, "250 %s Hello %s [%s]\r\n", s->srvname,
			    s->helo, s->cli.ipstr);
		return;
	}
	switch (s->fl) {
	case FL_POSTFIX:
		buf_addf(b, "250-%s\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
		    "250-VRFY\r\n250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n"
		    "250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n", s->srvname);
		break;
	case FL_EXIM:
		buf_addf(b, "250-%s Hello %s [%s]\r\n250-SIZE 52428800\r\n"
		    "250-8BITMIME\r\n250-PIPELINING\r\n250-PRDR\r\n250 HELP\r\n",
		    s->srvname, s->helo, s->cli.ipstr);
		break;
	default:
		buf_addf(b, "250-%s Hello %s [%s], pleased to meet you\r\n"
		    "250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n"
		    "250-8BITMIME\r\n250-SIZE 52428800\r\n250-DSN\r\n"
		    "250-ETRN\r\n250-DELIVERBY\r\n250 HELP\r\n", s->srvname,
		    s->helo, s->cli.ipstr);
		break;
	}
}

static void
rep_mail(struct sess *s, struct buf *b)
{
	switch (s->fl) {
	case FL_POSTFIX:
		buf_adds(b, "250 2.1.0 Ok\r\n");
		break;
	case FL_EXIM:
		buf_adds(b, "250 OK\r\n");
		break;
	default:
		buf_addf(b, "250 2.1.0 <%s>... Sender ok\r\n", s->t.from);
		break;
	}
}

static void
rep_rcpt(struct sess *s, struct buf *b, unsigned i)
{
	const char *a = s->t.rcpt[i];

	switch (s->fl) {
	case FL_POSTFIX:
		if (s->t.ok[i])
			buf_adds(b, "250 2.1.5 Ok\r\n");
		else
			buf_addf(b, "550 5.1.1 <%s>: Recipient address "
			    "rejected: User unknown in local recipient table\r\n",
			    a);
		break;
	case FL_EXIM:
		if (s->t.ok[i])
			buf_adds(b, "250 Accepted\r\n");
		else
			buf_adds(b, "550 Unrouteable address\r\n");
		break;
	default:
		if (s->t.ok[i])
			buf_addf(b, "250 2.1.5 <%s>... Recipient ok\r\n", a);
		else
			buf_addf(b, "550 5.1.1 <%s>... User unknown\r\n", a);
		break;
	}
}

static void
rep_data(struct sess *s, struct buf *b)
{
	if (s->t.naccepted == 0) {
		switch (s->fl) {
		case FL_POSTFIX:
			buf_adds(b, "554 5.5.1 Error: no valid recipients\r\n");
			break;
		case FL_EXIM:
			buf_adds(b, "503-All RCPT commands were rejected with "
			    "this error:\r\n503-Unrouteable address\r\n"
			    "503 Valid RCPT command must precede DATA\r\n");
			break;
		default:
			buf_adds(b, "503 5.0.0 Need RCPT (recipient)\r\n");
			break;
		}
		return;
	}
	switch (s->fl) {
	case FL_POSTFIX:
		buf_adds(b, "354 End data with <CR><LF>.<CR><LF>\r\n");
		break;
	case FL_EXIM:
		buf_adds(b, "354 Enter message, ending with \".\" on a line "
		    "by itself\r\n");
		break;
	default:
		buf_adds(b, "354 Enter mail, end with \".\" on a line by "
		    "itself\r\n");
		break;
	}
}

static void
rep_queued(struct sess *s, struct buf *b)
{
	switch (s->fl) {
	case FL_POSTFIX:
		buf_addf(b, "250 2.0.0 Ok: queued as %s\r\n", s->t.qid);
		break;
	case FL_EXIM:
		buf_addf(b, "250 OK id=%s\r\n", s->t.qid);
		break;
	default:
		buf_addf(b, "250 2.0.0 %s Message accepted for delivery\r\n",
		    s->t.qid);
		break;
	}
}

static void
rep_rset(struct sess *s, struct buf *b)
{
	switch (s->fl) {
	case FL_POSTFIX:
		buf_adds(b, "250 2.0.0 Ok\r\n");
		break;
	case FL_EXIM:
		buf_adds(b, "250 Reset OK\r\n");
		break;
	default:
		buf_adds(b, "250 2.0.0 Reset state\r\n");
		break;
	}
}

static void
rep_quit(struct sess *s, struct buf *b)
{
	switch (s->fl) {
	case FL_POSTFIX:
		buf_adds(b, "221 2.0.0 Bye\r\n");
		break;
	case FL_EXIM:
		buf_addf(b, "221 %s closing connection\r\n", s->srvname);
		break;
	default:
		buf_addf(b, "221 2.0.0 %s closing connection\r\n", s->srvname);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Output: truth files.                                                */

static const char *
dir_path(const char *name)
{
	size_t n = strlen(opt.truth) + strlen(name) + 2;

	if (n > g.pathcap) {
		free(g.path);
		g.path = malloc(n);
		if (g.path == NULL)
			die(1, "out of memory");
		g.pathcap = n;
	}
	snprintf(g.path, n, "%s/%s", opt.truth, name);
	return g.path;
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_common(FILE *f, const struct sess *s, const struct txn *t, uint64_t n)
{
	unsigned i, k;

	fprintf(f, "{\"n\":%" PRIu64 ",\"session\":%" PRIu64 ",\"client\":",
	    n, s->idx);
	json_str(f, s->cli.ipstr);
	fprintf(f, ",\"client_port\":%u,\"server\":", s->cli.port);
	json_str(f, s->srv.ipstr);
	fprintf(f, ",\"server_port\":%u,\"helo\":", s->srv.port);
	json_str(f, s->helo);
	fputs(",\"mail_from\":", f);
	json_str(f, t->from);
	fputs(",\"rcpt_to\":[", f);
	for (i = k = 0; i < t->nrcpt; i++) {
		if (!t->ok[i])
			continue;
		if (k++)
			fputc(',', f);
		json_str(f, t->rcpt[i]);
	}
	fputs("],\"rcpt_rejected\":[", f);
	for (i = k = 0; i < t->nrcpt; i++) {
		if (t->ok[i])
			continue;
		if (k++)
			fputc(',', f);
		json_str(f, t->rcpt[i]);
	}
	fputc(']', f);
}

static void
json_tail(FILE *f, const struct sess *s, unsigned mail_i,
    const struct pend *p)
{
	fprintf(f, ",\"ip_version\":%d,\"vlan\":", s->v6 ? 6 : 4);
	if (s->vlan)
		fprintf(f, "%u", s->vlan_id);
	else
		fputs("null", f);
	fprintf(f, ",\"ehlo\":%s,\"pipelining\":%s,\"server_sw\":\"%s\","
	    "\"mail_in_session\":%u,\"ts\":%" PRIu64 ".%06" PRIu64 ","
	    "\"ts_us\":%" PRIu64,
	    s->ehlo ? "true" : "false", s->pipe ? "true" : "false",
	    flavor_name[s->fl], mail_i, g.now / 1000000, g.now % 1000000,
	    g.now);
	if (p != NULL)
		fprintf(f, ",\"affected\":%s,\"missing_bytes\":%" PRIu64 ","
		    "\"midstream\":%s,\"midstream_cut\":%s,"
		    "\"c2s_seq\":[%" PRIu32 ",%" PRIu32 "],"
		    "\"s2c_seq\":[%" PRIu32 ",%" PRIu32 "]",
		    p->affected ? "true" : "false", p->missing,
		    p->midstream ? "true" : "false",
		    p->midstream && p->nsupp == p->ndata ? "true" : "false",
		    p->c_seq0, p->c_seq1, p->s_seq0, p->s_seq1);
	if (opt.paths) {
		enum node cn = paths[s->path].n[s->hop],
		    sn = paths[s->path].n[s->hop + 1];
		unsigned h, kept = 0;

		/* the registered policy keeps the hop anyIP-{regIP} -> regIP */
		for (h = 0; h < s->nhops; h++)
			if (!node_registered(paths[s->path].n[h]) &&
			    node_registered(paths[s->path].n[h + 1])) {
				kept = h;
				break;
			}
		fprintf(f, ",\"path\":%u,\"path_mail\":%" PRIu64 ",\"hop\":%u,"
		    "\"hops\":%u,\"hop_client\":\"%s\",\"hop_server\":\"%s\","
		    "\"kept_hop\":%u,\"registered_keeps\":%s", s->path,
		    s->chain_id, s->hop, s->nhops, node_name[cn],
		    node_name[sn], kept, kept == s->hop ? "true" : "false");
	}
	fputs("}\n", f);
}

static void
record_mail(const struct sess *s, const struct txn *t, unsigned mail_i,
    const struct pend *p)
{
	char name[32];
	const char *path;
	FILE *f;
	uint64_t n = g.mails++;

	snprintf(name, sizeof(name), "m%06" PRIu64 ".eml", n);
	path = dir_path(name);
	f = fopen(path, "wb");
	if (f == NULL)
		die(1, "cannot create %s: %s", path, strerror(errno));
	if (fwrite(t->raw.p, 1, t->raw.len, f) != t->raw.len ||
	    fclose(f) != 0)
		die(1, "cannot write %s: %s", path, strerror(errno));

	json_common(g.truth, s, t, n);
	fprintf(g.truth, ",\"outcome\":\"accepted\",\"size\":%zu,\"file\":\"%s\","
	    "\"queue_id\":\"%s\",\"size_param\":%" PRIu64 ",\"eight_bit\":%s",
	    t->raw.len, name, t->qid, t->size_param,
	    t->eight ? "true" : "false");
	json_tail(g.truth, s, mail_i, p);
	if (ferror(g.truth))
		die(1, "cannot write %s: %s", dir_path("truth.jsonl"),
		    strerror(errno));
	g.mail_bytes += t->raw.len;
}

static void
record_rejected(const struct sess *s, const struct txn *t, unsigned mail_i,
    const struct pend *p)
{
	json_common(g.rej, s, t, g.rejected++);
	fputs(",\"outcome\":\"no_valid_rcpt\"", g.rej);
	json_tail(g.rej, s, mail_i, p);
	if (ferror(g.rej))
		die(1, "cannot write %s: %s", dir_path("rejected.jsonl"),
		    strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Output: packets.                                                    */

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint64_t
csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		sum += (uint64_t)p[0] << 8 | p[1];
		sum += (uint64_t)p[2] << 8 | p[3];
		sum += (uint64_t)p[4] << 8 | p[5];
		sum += (uint64_t)p[6] << 8 | p[7];
		p += 8;
		n -= 8;
	}
	while (n >= 2) {
		sum += (uint64_t)p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	}
	if (n)
		sum += (uint64_t)p[0] << 8;
	return sum;
}

static uint16_t
csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Build one frame of session s into f; returns its length. */
static size_t
build_frame(struct sess *s, enum dir d, uint8_t flags, uint32_t seq,
    uint32_t ack, const void *pl, size_t plen, uint8_t *f)
{
	uint8_t *ip, *th;
	const struct ep *src = d == C2S ? &s->cli : &s->srv;
	const struct ep *dst = d == C2S ? &s->srv : &s->cli;
	size_t off, thl = (flags & TH_SYN) ? 28 : 20, tl = thl + plen;
	uint64_t sum;

	memcpy(f, dst->mac, 6);
	memcpy(f + 6, src->mac, 6);
	off = 12;
	if (s->vlan) {
		put16(f + off, 0x8100);
		put16(f + off + 2, s->vlan_id);
		off += 4;
	}
	put16(f + off, s->v6 ? 0x86dd : 0x0800);
	off += 2;
	ip = f + off;
	if (s->v6) {
		put32(ip, 0x60000000u | s->flow);
		put16(ip + 4, (uint16_t)tl);
		ip[6] = 6;
		ip[7] = d == C2S ? s->ttl : 64;
		memcpy(ip + 8, src->ip, 16);
		memcpy(ip + 24, dst->ip, 16);
		th = ip + 40;
		sum = csum_add(0, ip + 8, 32);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + tl));
		put16(ip + 4, d == C2S ? s->c_id++ : s->s_id++);
		put16(ip + 6, 0x4000);
		ip[8] = d == C2S ? s->ttl : 64;
		ip[9] = 6;
		put16(ip + 10, 0);
		memcpy(ip + 12, src->ip + 12, 4);
		memcpy(ip + 16, dst->ip + 12, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		th = ip + 20;
		sum = csum_add(0, ip + 12, 8);
	}
	sum += 6 + tl;

	put16(th, src->port);
	put16(th + 2, dst->port);
	put32(th + 4, seq);
	put32(th + 8, (flags & TH_ACK) ? ack : 0);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	put16(th + 14, d == C2S ? 64240 : 65160);
	put16(th + 16, 0);
	put16(th + 18, 0);
	if (flags & TH_SYN) {
		th[20] = 2;	/* MSS */
		th[21] = 4;
		put16(th + 22, (uint16_t)opt.mss);
		th[24] = 1;	/* NOP, NOP, SACK permitted */
		th[25] = 1;
		th[26] = 4;
		th[27] = 2;
	}
	if (plen)
		memcpy(th + thl, pl, plen);
	put16(th + 16, csum_fold(csum_add(sum, th, tl)));
	return (size_t)(th - f) + tl;
}

/*
 * --noise: one frame of other traffic, in its own time slot: UDP to port
 * 53 or 123, or TCP (ACK|PSH, no handshake) to port 80 or 443, between
 * one of 32 clients of the SMTP pools (16 source ports each: a few
 * thousand "flows") and 192.0.2.80 (no SMTP server), random payload.  Its
 * own random stream; IPv4, valid checksums.
 */
static void
write_noise(void)
{
	static const uint16_t ports[] = { 53, 123, 80, 443 };
	struct rng *r = &g.noise;
	struct pcap_pkthdr h;
	uint8_t *f = g.nframe, *ip = f + 14, *l4 = ip + 20;
	unsigned which = (unsigned)rng_below(r, 4), i;
	bool udp = which < 2;
	size_t hl = udp ? 8 : 20;
	size_t plen = udp ? (size_t)rng_range(r, 40, 300) : (size_t)rng_range(r, 100, 1460);
	uint64_t sum, v = 0;

	memcpy(f, "\x52\x54\x00\x00\x02\x50\x00\x1b\x21\x0a\x0b\x0d", 12);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + hl + plen));
	put16(ip + 4, (uint16_t)rng_next(r));
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = udp ? 17 : 6;
	put16(ip + 10, 0);
	ip[12] = 198;
	ip[13] = 51;
	ip[14] = 100;
	ip[15] = (uint8_t)rng_range(r, 1, 32);
	ip[16] = 192;
	ip[17] = 0;
	ip[18] = 2;
	ip[19] = 80;
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(l4, (uint16_t)(PORT_LO + rng_below(r, 16)));
	put16(l4 + 2, ports[which]);
	for (i = 0; i < plen; i++) {
		if ((i & 7) == 0)
			v = rng_next(r);
		l4[hl + i] = (uint8_t)(v >> (8 * (i & 7)));
	}
	if (udp) {
		put16(l4 + 4, (uint16_t)(8 + plen));
		put16(l4 + 6, 0);
	} else {
		put32(l4 + 4, (uint32_t)rng_next(r));
		put32(l4 + 8, (uint32_t)rng_next(r));
		l4[12] = 5 << 4;
		l4[13] = TH_ACK | TH_PSH;
		put16(l4 + 14, 64240);
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
	}
	sum = csum_add(0, ip + 12, 8) + ip[9] + hl + plen;
	put16(l4 + (udp ? 6 : 16), csum_fold(csum_add(sum, l4, hl + plen)));
	g.now += 1 + rng_below(r, 200);
	h.ts.tv_sec = (time_t)(g.now / 1000000);
	h.ts.tv_usec = (suseconds_t)(g.now % 1000000);
	h.caplen = h.len = (bpf_u_int32)(34 + hl + plen);
	pcap_dump((u_char *)g.pd, &h, f);
	g.packets++;
	g.bytes += h.len;
	g.noise_packets++;
	g.noise_bytes += h.len;
}

/* Put one frame on the capture, in the next time slot. */
static void
write_frame(const uint8_t *f, size_t len, enum dir d, size_t plen)
{
	struct pcap_pkthdr h;

	g.now += 1 + rng_below(&g.sched, 200);
	if (g.packets == 0)
		g.first_ts = g.now;
	h.ts.tv_sec = (time_t)(g.now / 1000000);
	h.ts.tv_usec = (suseconds_t)(g.now % 1000000);
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)g.pd, &h, f);
	g.packets++;
	g.bytes += h.len;
	if (d == C2S)
		g.c2s_payload += plen;
	else
		g.s2c_payload += plen;
	if ((g.packets & 4095) == 0 && ferror(g.pf))
		die(1, "cannot write %s: %s", opt.out, strerror(errno));
	if (opt.noise && rng_pct(&g.noise, opt.noise))
		write_noise();
}

static void impair(struct sess *s, enum dir d, uint8_t flags, uint32_t seq,
    size_t plen, size_t flen);

/* Send one packet of session s (the endpoints' view: always delivered). */
static void
emit(struct sess *s, enum dir d, uint8_t flags, const void *pl, size_t plen)
{
	uint32_t *nxt = d == C2S ? &s->c_nxt : &s->s_nxt;
	uint32_t seq = *nxt, ack = d == C2S ? s->s_nxt : s->c_nxt;
	size_t len = build_frame(s, d, flags, seq, ack, pl, plen, g.frame);

	*nxt += (uint32_t)plen + ((flags & TH_SYN) ? 1 : 0) +
	    ((flags & TH_FIN) ? 1 : 0);
	if (g.imp)
		impair(s, d, flags, seq, plen, len);
	else
		write_frame(g.frame, len, d, plen);
}

/* ------------------------------------------------------------------ */
/* Impairments: what the tap sees of the packets the endpoints send.   */

static void
finalize(struct pend *p)
{
	struct sess *s = p->s;
	struct txn *t = p->moved ? &p->t : &s->t;
	struct pend **pp;

	if (t->naccepted) {
		record_mail(s, t, p->mail_i, p);
		g.aff_mails += p->affected;
	} else {
		record_rejected(s, t, p->mail_i, p);
		g.aff_rej += p->affected;
	}
	for (pp = &s->plist; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (p->moved) {
		free(p->t.raw.p);
		free(p->t.wire.p);
	}
	free(p);
}

/* The transaction's bytes are all generated but not all on the capture. */
static void
pend_move(struct pend *p)
{
	struct sess *s = p->s;

	if (p->moved)
		return;
	p->t = s->t;
	memset(&s->t.raw, 0, sizeof(s->t.raw));
	memset(&s->t.wire, 0, sizeof(s->t.wire));
	p->moved = true;
}

/* Write a packet of s now; every held packet of s has one less to wait. */
static void
sess_write(struct sess *s, const uint8_t *f, size_t len, enum dir d,
    size_t plen, struct pend *p)
{
	unsigned i;

	write_frame(f, len, d, plen);
	if (p != NULL && p->final_done && p->held == 0)
		finalize(p);
	for (i = 0; i < s->nh; i++)
		if (s->hq[i].left)
			s->hq[i].left--;
}

static void
held_push(struct sess *s, const uint8_t *f, size_t len, size_t plen,
    enum dir d, uint32_t left, struct pend *p)
{
	struct held *h;

	if (s->nh == s->hcap) {
		s->hcap = s->hcap ? 2 * s->hcap : 16;
		s->hq = realloc(s->hq, s->hcap * sizeof(*s->hq));
		if (s->hq == NULL)
			die(1, "out of memory");
	}
	h = &s->hq[s->nh++];
	if (s->nspare)
		h->f = s->spare[--s->nspare];
	else if ((h->f = malloc(FRAME_MAX)) == NULL)
		die(1, "out of memory");
	memcpy(h->f, f, len);
	h->len = (uint32_t)len;
	h->plen = (uint32_t)plen;
	h->left = left;
	h->dir = d;
	h->txn = p;
	if (p != NULL)
		p->held++;
}

/* Write the held packets whose wait is over, oldest first. */
static void
release_ready(struct sess *s)
{
	unsigned i = 0;
	struct held h;

	while (i < s->nh) {
		if (s->hq[i].left != 0) {
			i++;
			continue;
		}
		h = s->hq[i];
		memmove(&s->hq[i], &s->hq[i + 1], (s->nh - i - 1) *
		    sizeof(h));
		s->nh--;
		if (h.txn != NULL)
			h.txn->held--;
		sess_write(s, h.f, h.len, h.dir, h.plen, h.txn);
		if (s->nspare == s->spcap) {
			s->spcap = s->spcap ? 2 * s->spcap : 16;
			s->spare = realloc(s->spare, s->spcap *
			    sizeof(*s->spare));
			if (s->spare == NULL)
				die(1, "out of memory");
		}
		s->spare[s->nspare++] = h.f;
		i = 0;
	}
}

/*
 * The overlapping retransmission of the pending segment P of direction d:
 * from inside P (those bytes replaced by different garbage) into the
 * first qlen bytes q of the next segment (true bytes), held back for
 * base + 0..W packets.  q == NULL: no next segment on the capture.
 */
static void
ov_emit(struct sess *s, enum dir d, const uint8_t *q, size_t qlen,
    uint32_t base)
{
	struct rng *r = &s->ir;
	struct ovp *o = &s->ov[d];
	size_t a = o->len > 1 ? rng_range(r, 1, o->len - 1) : 0;
	size_t og = o->len - a, b = 0, i, len;

	if (q != NULL) {
		b = rng_range(r, 1, qlen);
		if (og + b > opt.mss)
			b = opt.mss > og ? opt.mss - og : 0;
	}
	for (i = 0; i < og; i++)
		g.scratch[i] = (uint8_t)(o->p[a + i] ^
		    (uint8_t)(1 + rng_below(r, 255)));
	if (b)
		memcpy(g.scratch + og, q, b);
	len = build_frame(s, d, TH_ACK | TH_PSH, o->seq + (uint32_t)a,
	    d == C2S ? s->s_nxt : s->c_nxt, g.scratch, og + b, g.frame2);
	held_push(s, g.frame2, len, og + b, d,
	    base + (uint32_t)rng_below(r, opt.rwin + 1), NULL);
	g.overlapped++;
	o->on = false;
}

/* The packet just built in g.frame, as the tap sees it. */
static void
impair(struct sess *s, enum dir d, uint8_t flags, uint32_t seq, size_t plen,
    size_t flen)
{
	struct rng *r = &s->ir;
	struct pend *p = plen ? s->txn : NULL;
	const uint8_t *pl = g.frame + flen - plen;
	bool fin = plen && s->final_seg, ovl, reo, dup;
	uint32_t rl = 0;

	s->final_seg = false;
	if (p != NULL)
		p->ndata++;
	if (fin) {
		/* Last byte of the transaction's final reply. */
		p->final_done = true;
		p->c_seq1 = s->c_nxt;
		p->s_seq1 = s->s_nxt;
		s->txn = NULL;
	}

	/* The tap has not started yet. */
	if (s->mid_on && !(flags & TH_FIN)) {
		g.mid_packets++;
		if (p != NULL) {
			p->affected = p->midstream = true;
			p->nsupp++;
		}
		if (s->mid_left && --s->mid_left == 0)
			s->mid_on = false;
		goto lost;
	}
	s->mid_on = false;
	if ((flags & TH_FIN) && s->ov[d].on)
		ov_emit(s, d, NULL, 0, 0);

	/* Dropped upstream of the tap. */
	if (plen && rng_pct(r, opt.drop)) {
		g.dropped++;
		g.dropped_bytes += plen;
		if (p != NULL) {
			p->affected = true;
			if (d == C2S)
				p->missing += plen;
		}
		if (s->ov[d].on)
			ov_emit(s, d, NULL, 0, 0);
		goto lost;
	}

	ovl = plen && rng_pct(r, opt.overlap);
	reo = !ovl && !(flags & TH_SYN) && rng_pct(r, opt.reorder);
	dup = rng_pct(r, opt.duplicate);
	if (fin && (reo || p->held))
		pend_move(p);
	if (reo) {
		rl = (uint32_t)rng_range(r, 1, opt.rwin);
		held_push(s, g.frame, flen, plen, d, rl, p);
		g.reordered++;
	} else {
		sess_write(s, g.frame, flen, d, plen, p);	/* may free p */
	}
	if (dup) {
		held_push(s, g.frame, flen, plen, d,
		    rl + (uint32_t)rng_below(r, opt.rwin + 1), NULL);
		g.duplicated++;
	}
	if (plen && s->ov[d].on)
		ov_emit(s, d, pl, plen, rl);
	if (ovl) {
		struct ovp *o = &s->ov[d];

		if (o->p == NULL && (o->p = malloc(MSS_MAX)) == NULL)
			die(1, "out of memory");
		memcpy(o->p, pl, plen);
		o->seq = seq;
		o->len = plen;
		o->on = true;
	}
	release_ready(s);
	return;

lost:
	if (fin) {
		if (p->held)
			pend_move(p);
		else
			finalize(p);
	}
}

/* A transaction starts (impairments on). */
static void
txn_begin(struct sess *s)
{
	struct pend *p = calloc(1, sizeof(*p));
	struct txn *t = &s->t;
	uint64_t seg, est;

	if (p == NULL)
		die(1, "out of memory");
	p->s = s;
	p->mail_i = s->mail_i;
	p->c_seq0 = s->c_nxt;
	p->s_seq0 = s->s_nxt;
	p->next = s->plist;
	s->plist = p;
	s->txn = p;
	if (s->mid_on && s->mid_wait && s->mid_txn == s->mail_i) {
		/* The tap starts somewhere inside this transaction. */
		seg = opt.split_random ? opt.mss / 2 + 1 : opt.mss;
		est = 2 * ((uint64_t)t->nrcpt + 3) +
		    (t->wire.len / seg + 1) * 3 / 2;
		s->mid_wait = false;
		s->mid_left = rng_range(&s->ir, 1, est);
	}
}

/* The session's last packet went out: nothing stays held. */
static void
sess_flush(struct sess *s)
{
	unsigned i;

	for (i = 0; i < s->nh; i++)
		s->hq[i].left = 0;
	release_ready(s);
}

/* ------------------------------------------------------------------ */
/* Session state machine.                                              */

static void
start_send(struct sess *s, enum dir d, const struct buf *b, enum done od)
{
	s->cur.dir = d;
	s->cur.p = b->p;
	s->cur.len = b->len;
	s->cur.off = 0;
	s->cur.on_done = od;
	s->cur.active = true;
	s->unacked = 0;
}

/* --paths: which mail and hop session idx is, and its chain. */
static void
path_place(struct sess *s)
{
	static const unsigned first[7] = { 0, 0, 1, 3, 4, 6, 8 };
	uint64_t cyc = s->idx / PATH_CYCLE_HOPS;
	unsigned r = (unsigned)(s->idx % PATH_CYCLE_HOPS), p = 6;
	struct chain *c;

	while (first[p] > r)
		p--;
	s->path = p;
	s->hop = r - first[p];
	s->nhops = paths[p].nhops;
	s->chain_id = cyc * 6 + (p - 1);
	if (s->hop > 0) {
		for (c = g.chains; c != NULL && c->id != s->chain_id;
		    c = c->next)
			;
		if (c == NULL)
			die(1, "internal error: no chain for mail %" PRIu64,
			    s->chain_id);
		s->chain = c;
	} else if (s->nhops > 1) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			die(1, "out of memory");
		c->id = s->chain_id;
		c->next = g.chains;
		g.chains = c;
		s->chain = c;
	}
}

/* --paths: the hop's endpoints (after the ordinary addressing). */
static void
path_addr(struct sess *s)
{
	enum node cn = paths[s->path].n[s->hop],
	    sn = paths[s->path].n[s->hop + 1];

	if (s->hop == 0 && s->chain != NULL)
		s->chain->v6 = s->v6;
	/* server: REG1 = index 0 (Postfix), REG2 = 1 (Exim), the outside
	 * server 198.18.0.25 / 2001:db8:3::19 (Sendmail) */
	s->srv_idx = sn == N_REG1 ? 0 : sn == N_REG2 ? 1 : 2;
	s->fl = (enum flavor)(s->srv_idx % FL_COUNT);
	memset(s->srv.ip, 0, sizeof(s->srv.ip));
	if (s->v6) {
		static const uint8_t s6[8] = {
			0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00
		};
		memcpy(s->srv.ip, s6, 8);
		if (sn == N_EXTS)
			s->srv.ip[5] = 3;
		s->srv.ip[15] = (uint8_t)(25 + (sn == N_EXTS ? 0 :
		    s->srv_idx));
		inet_ntop(AF_INET6, s->srv.ip, s->srv.ipstr,
		    sizeof(s->srv.ipstr));
	} else {
		s->srv.ip[12] = sn == N_EXTS ? 198 : 192;
		s->srv.ip[13] = sn == N_EXTS ? 18 : 0;
		s->srv.ip[14] = sn == N_EXTS ? 0 : 2;
		s->srv.ip[15] = (uint8_t)(25 + (sn == N_EXTS ? 0 :
		    s->srv_idx));
		inet_ntop(AF_INET, s->srv.ip + 12, s->srv.ipstr,
		    sizeof(s->srv.ipstr));
	}
	memcpy(s->srv.mac, "\x52\x54\x00\x00\x02\x00", 6);
	s->srv.mac[5] = (uint8_t)(sn == N_EXTS ? 99 : 25 + s->srv_idx);
	if (sn == N_EXTS)
		snprintf(s->srvname, sizeof(s->srvname), "mx.remote.example");
	else
		snprintf(s->srvname, sizeof(s->srvname), "mx%u.example.net",
		    s->srv_idx + 1);
	if (s->hop == 0)
		return;
	/* client: the registered server that relays (cn is REG1 or REG2) */
	{
		unsigned ri = cn == N_REG2, fam = s->v6;
		uint16_t *port = &g.rport[ri][fam];

		memset(s->cli.ip, 0, sizeof(s->cli.ip));
		if (s->v6) {
			static const uint8_t s6[8] = {
				0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00
			};
			memcpy(s->cli.ip, s6, 8);
			s->cli.ip[15] = (uint8_t)(25 + ri);
			inet_ntop(AF_INET6, s->cli.ip, s->cli.ipstr,
			    sizeof(s->cli.ipstr));
		} else {
			s->cli.ip[12] = 192;
			s->cli.ip[13] = 0;
			s->cli.ip[14] = 2;
			s->cli.ip[15] = (uint8_t)(25 + ri);
			inet_ntop(AF_INET, s->cli.ip + 12, s->cli.ipstr,
			    sizeof(s->cli.ipstr));
		}
		if (*port == 0)
			*port = (uint16_t)rng_range(&g.setup, PORT_LO,
			    PORT_HI);
		s->cli.port = *port;
		*port = *port == PORT_HI ? PORT_LO : *port + 1;
		memcpy(s->cli.mac, "\x52\x54\x00\x00\x02\x00", 6);
		s->cli.mac[5] = (uint8_t)(25 + ri);
		snprintf(s->helo, sizeof(s->helo), "mx%u.example.net",
		    ri + 1);
	}
}

static void
sess_init(struct sess *s, uint64_t idx)
{
	struct buf cb = s->cbuf, sb = s->sbuf, raw = s->t.raw,
	    wire = s->t.wire;
	struct held *hq = s->hq;
	uint8_t **spare = s->spare, *ov0 = s->ov[0].p, *ov1 = s->ov[1].p;
	unsigned hcap = s->hcap, nspare = s->nspare, spcap = s->spcap;
	unsigned pool;
	uint16_t *port;

	memset(s, 0, sizeof(*s));
	s->cbuf = cb;
	s->sbuf = sb;
	s->t.raw = raw;
	s->t.wire = wire;
	s->hq = hq;
	s->hcap = hcap;
	s->spare = spare;
	s->nspare = nspare;
	s->spcap = spcap;
	s->ov[0].p = ov0;
	s->ov[1].p = ov1;
	s->idx = idx;
	rng_seed(&s->r, opt.seed, idx + 1);
	if (opt.paths)
		path_place(s);

	/* Addressing comes from the setup stream, in session order. */
	s->v6 = rng_pct(&g.setup, opt.ipv6);
	if (s->hop > 0)
		s->v6 = s->chain->v6;	/* a mail keeps its family */
	s->vlan = rng_pct(&g.setup, opt.vlan);
	s->vlan_id = (uint16_t)(100 * rng_range(&g.setup, 1, 3));
	s->srv_idx = (unsigned)rng_below(&g.setup, opt.servers);
	s->fl = (enum flavor)(s->srv_idx % FL_COUNT);
	if (s->v6) {
		pool = (unsigned)rng_below(&g.setup, NPOOL6);
		port = &g.port6[pool];
		static const uint8_t c6[8] = {
			0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02
		};
		static const uint8_t s6[8] = {
			0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00
		};
		memcpy(s->cli.ip, c6, 8);
		s->cli.ip[14] = (uint8_t)((pool + 1) >> 8);
		s->cli.ip[15] = (uint8_t)(pool + 1);
		memcpy(s->srv.ip, s6, 8);
		s->srv.ip[15] = (uint8_t)(25 + s->srv_idx);
		inet_ntop(AF_INET6, s->cli.ip, s->cli.ipstr,
		    sizeof(s->cli.ipstr));
		inet_ntop(AF_INET6, s->srv.ip, s->srv.ipstr,
		    sizeof(s->srv.ipstr));
		snprintf(s->helo, sizeof(s->helo), "client%u.v6.example",
		    pool + 1);
		s->flow = (uint32_t)rng_below(&s->r, 1u << 20);
	} else {
		pool = (unsigned)rng_below(&g.setup, NPOOL4);
		if (opt.paths)	/* outside clients 203.0.113, users 198.51.100 */
			pool = pool % 254 +
			    (paths[s->path].n[0] == N_EXTC ? 254 : 0);
		port = &g.port4[pool];
		s->cli.ip[12] = pool < 254 ? 198 : 203;
		s->cli.ip[13] = pool < 254 ? 51 : 0;
		s->cli.ip[14] = pool < 254 ? 100 : 113;
		s->cli.ip[15] = (uint8_t)(pool % 254 + 1);
		s->srv.ip[12] = 192;
		s->srv.ip[13] = 0;
		s->srv.ip[14] = 2;
		s->srv.ip[15] = (uint8_t)(25 + s->srv_idx);
		inet_ntop(AF_INET, s->cli.ip + 12, s->cli.ipstr,
		    sizeof(s->cli.ipstr));
		inet_ntop(AF_INET, s->srv.ip + 12, s->srv.ipstr,
		    sizeof(s->srv.ipstr));
		snprintf(s->helo, sizeof(s->helo), "client%u.example",
		    pool + 1);
	}
	if (*port == 0)
		*port = (uint16_t)rng_range(&g.setup, PORT_LO, PORT_HI);
	s->cli.port = *port;
	*port = *port == PORT_HI ? PORT_LO : *port + 1;
	s->srv.port = 25;
	memcpy(s->cli.mac, "\x00\x1b\x21\x0a\x0b\x0c", 6);
	memcpy(s->srv.mac, "\x52\x54\x00\x00\x02\x00", 6);
	s->srv.mac[5] = (uint8_t)(25 + s->srv_idx);
	snprintf(s->srvname, sizeof(s->srvname), "mx%u.example.net",
	    s->srv_idx + 1);
	snprintf(s->rdomain, sizeof(s->rdomain), "%s",
	    rcpt_domains[s->srv_idx % (sizeof(rcpt_domains) /
	    sizeof(rcpt_domains[0]))]);
	if (opt.paths)
		path_addr(s);

	/* Behaviour comes from the session's own stream. */
	s->pipe = rng_pct(&s->r, opt.pipelining);
	s->ehlo = s->pipe || !rng_pct(&s->r, opt.helo);
	if (s->hop > 0)
		s->ehlo = true;		/* MTAs relay with EHLO */
	s->nmails = (unsigned)rng_range(&s->r, opt.kmin, opt.kmax);
	s->ttl = (uint8_t)rng_range(&s->r, 44, 60);
	s->c_nxt = (uint32_t)rng_next(&s->r);
	s->s_nxt = (uint32_t)rng_next(&s->r);
	s->c_id = (uint16_t)rng_next(&s->r);
	s->s_id = (uint16_t)rng_next(&s->r);
	s->st = ST_SYN;

	/* --bdat, --starttls come from a stream of their own (off: unused) */
	if (opt.bdat || opt.starttls) {
		rng_seed(&s->xr, opt.seed ^ 0x62646174ull, idx + 1);
		s->tls = s->ehlo && s->hop == 0 && rng_pct(&s->xr, opt.starttls);
		s->bdat = s->ehlo && !s->pipe && !s->tls &&
		    rng_pct(&s->xr, opt.bdat);
		g.tls_sessions += s->tls;
		g.bdat_sessions += s->bdat;
	}

	/* Impairments come from a stream of their own. */
	if (g.imp) {
		rng_seed(&s->ir, opt.seed ^ 0x1a9a1b3e7ull, idx + 1);
		if (rng_pct(&s->ir, opt.midstream)) {
			/* The cut: inside transaction mid_txn, or (== nmails)
			 * in the handshake/greeting/EHLO. */
			g.mid_sessions++;
			s->mid_on = true;
			s->mid_txn = (unsigned)rng_below(&s->ir,
			    (uint64_t)s->nmails + 1);
			if (s->mid_txn == s->nmails)
				s->mid_left = rng_range(&s->ir, 1, 9);
			else
				s->mid_wait = true;
		}
	}
}

/*
 * --starttls: after the 220, random octets in TLS record shapes: phase 0
 * the ClientHello, 1 the server's flight, 2 the client's records of the
 * size of its mails, 3 the server's short replies.  Nothing is readable.
 */
static void
tls_flight(struct sess *s, unsigned phase)
{
	struct buf *b = phase & 1 ? &s->sbuf : &s->cbuf;
	uint64_t n, k, i, v = 0;

	switch (phase) {
	case 0:
		n = 517;
		break;
	case 1:
		n = rng_range(&s->xr, 2500, 6000);
		break;
	case 2:
		for (n = 0, k = 0; k < s->nmails && n < (64u << 20); k++)
			n += pick_size(&s->xr) + 400;
		break;
	default:
		n = 90 * (uint64_t)(s->nmails + 1);
		break;
	}
	b->len = 0;
	buf_reserve(b, (size_t)n);
	for (i = 0; i < n; i++) {
		if ((i & 7) == 0)
			v = rng_next(&s->xr);
		b->p[i] = (char)(v >> (8 * (i & 7)));
	}
	b->p[0] = phase == 0 || phase == 1 ? 0x16 : 0x17;	/* handshake / data */
	b->p[1] = 0x03;
	b->p[2] = phase == 0 ? 0x01 : 0x03;
	b->len = (size_t)n;
	g.tls_bytes += n;
	start_send(s, phase & 1 ? S2C : C2S, b, DONE_NONE);
}

/*
 * Advance the dialogue: either emit one control packet (return true) or
 * set up the next data send (return false).
 */
static bool
step(struct sess *s)
{
	struct buf *cb = &s->cbuf, *sb = &s->sbuf;
	struct txn *t = &s->t;
	unsigned i;

	switch (s->st) {
	case ST_SYN:
		emit(s, C2S, TH_SYN, NULL, 0);
		s->opened = true;
		if (++g.open > g.max_open)
			g.max_open = g.open;
		s->st = ST_SYNACK;
		return true;
	case ST_SYNACK:
		emit(s, S2C, TH_SYN | TH_ACK, NULL, 0);
		s->st = ST_ACK;
		return true;
	case ST_ACK:
		emit(s, C2S, TH_ACK, NULL, 0);
		s->st = ST_GREET;
		return true;
	case ST_GREET:
		sb->len = 0;
		rep_greet(s, sb);
		start_send(s, S2C, sb, DONE_NONE);
		s->st = ST_HELO;
		return false;
	case ST_HELO:
		cb->len = 0;
		buf_addf(cb, "%s %s\r\n", s->ehlo ? "EHLO" : "HELO", s->helo);
		start_send(s, C2S, cb, DONE_NONE);
		s->st = ST_HELO_R;
		return false;
	case ST_HELO_R:
		sb->len = 0;
		rep_helo(s, sb);
		start_send(s, S2C, sb, DONE_NONE);
		s->st = s->tls ? ST_TLS : ST_TXN;
		return false;
	case ST_TLS:
		cb->len = 0;
		buf_adds(cb, "STARTTLS\r\n");
		start_send(s, C2S, cb, DONE_NONE);
		s->st = ST_TLS_R;
		return false;
	case ST_TLS_R:
		sb->len = 0;
		buf_adds(sb, "220 2.0.0 Ready to start TLS\r\n");
		start_send(s, S2C, sb, DONE_NONE);
		s->st = ST_TLS_DATA;
		s->tls_phase = 0;
		return false;
	case ST_TLS_DATA:
		if (s->tls_phase == 4) {
			/* the client hangs up inside TLS (its QUIT is encrypted) */
			s->st = ST_FIN1;
			return false;
		}
		tls_flight(s, s->tls_phase++);
		return false;
	case ST_TXN:
		cb->len = 0;
		if (s->mail_i == s->nmails) {
			buf_adds(cb, "QUIT\r\n");
			start_send(s, C2S, cb, DONE_NONE);
			s->st = ST_QUIT_R;
			return false;
		}
		new_txn(s);
		if (g.imp)
			txn_begin(s);
		cmd_mail(s, cb);
		if (s->pipe) {
			for (i = 0; i < t->nrcpt; i++)
				buf_addf(cb, "RCPT TO:<%s>\r\n", t->rcpt[i]);
			buf_adds(cb, "DATA\r\n");
			s->st = ST_PIPE_R;
		} else {
			s->st = ST_MAIL_R;
		}
		start_send(s, C2S, cb, DONE_NONE);
		return false;
	case ST_PIPE_R:
		sb->len = 0;
		rep_mail(s, sb);
		for (i = 0; i < t->nrcpt; i++)
			rep_rcpt(s, sb, i);
		rep_data(s, sb);
		start_send(s, S2C, sb, DONE_NONE);
		s->st = t->naccepted ? ST_MSG : ST_RSET;
		return false;
	case ST_MAIL_R:
		sb->len = 0;
		rep_mail(s, sb);
		start_send(s, S2C, sb, DONE_NONE);
		s->rcpt_i = 0;
		s->st = ST_RCPT;
		return false;
	case ST_RCPT:
		cb->len = 0;
		buf_addf(cb, "RCPT TO:<%s>\r\n", t->rcpt[s->rcpt_i]);
		start_send(s, C2S, cb, DONE_NONE);
		s->st = ST_RCPT_R;
		return false;
	case ST_RCPT_R:
		sb->len = 0;
		rep_rcpt(s, sb, s->rcpt_i);
		start_send(s, S2C, sb, DONE_NONE);
		if (++s->rcpt_i < t->nrcpt)
			s->st = ST_RCPT;
		else
			s->st = !t->naccepted ? ST_RSET : s->bdat ? ST_BDAT : ST_DATA;
		return false;
	case ST_BDAT: {
		size_t left = t->raw.len - s->bdat_off;
		size_t n = (size_t)rng_range(&s->xr, 1024, 1u << 20);

		if (n > left)
			n = left;
		cb->len = 0;
		buf_addf(cb, "BDAT %zu%s\r\n", n, n == left ? " LAST" : "");
		buf_add(cb, t->raw.p + s->bdat_off, n);
		s->bdat_off += n;
		g.bdat_chunks++;
		start_send(s, C2S, cb, DONE_NONE);
		s->st = ST_BDAT_R;
		return false;
	}
	case ST_BDAT_R:
		sb->len = 0;
		if (s->bdat_off < t->raw.len) {
			buf_addf(sb, "250 2.0.0 %zu octets received\r\n", s->bdat_off);
			start_send(s, S2C, sb, DONE_NONE);
			s->st = ST_BDAT;
			return false;
		}
		s->bdat_off = 0;
		rep_queued(s, sb);
		start_send(s, S2C, sb, DONE_MAIL);
		s->st = ST_TXN;
		return false;
	case ST_DATA:
		cb->len = 0;
		buf_adds(cb, "DATA\r\n");
		start_send(s, C2S, cb, DONE_NONE);
		s->st = ST_DATA_R;
		return false;
	case ST_DATA_R:
		sb->len = 0;
		rep_data(s, sb);
		start_send(s, S2C, sb, DONE_NONE);
		s->st = ST_MSG;
		return false;
	case ST_MSG:
		start_send(s, C2S, &t->wire, DONE_NONE);
		s->st = ST_MSG_R;
		return false;
	case ST_MSG_R:
		sb->len = 0;
		rep_queued(s, sb);
		start_send(s, S2C, sb, DONE_MAIL);
		s->st = ST_TXN;
		return false;
	case ST_RSET:
		cb->len = 0;
		buf_adds(cb, "RSET\r\n");
		start_send(s, C2S, cb, DONE_NONE);
		s->st = ST_RSET_R;
		return false;
	case ST_RSET_R:
		sb->len = 0;
		rep_rset(s, sb);
		start_send(s, S2C, sb, DONE_REJ);
		s->st = ST_TXN;
		return false;
	case ST_QUIT_R:
		sb->len = 0;
		rep_quit(s, sb);
		start_send(s, S2C, sb, DONE_NONE);
		s->st = ST_FIN1;
		return false;
	case ST_FIN1:
		emit(s, C2S, TH_FIN | TH_ACK, NULL, 0);
		s->st = ST_FIN2;
		return true;
	case ST_FIN2:
		emit(s, S2C, TH_FIN | TH_ACK, NULL, 0);
		s->st = ST_LAST;
		return true;
	case ST_LAST:
		emit(s, C2S, TH_ACK, NULL, 0);
		if (g.imp)
			sess_flush(s);
		s->st = ST_DONE;
		g.open--;
		g.sessions_done++;
		return true;
	case ST_DONE:
		return true;
	}
	return true;
}

/* Emit exactly one packet of session s (none if it is done). */
static void
sess_packet(struct sess *s)
{
	struct send *c = &s->cur;
	size_t n;

	if (s->hop > 0 && s->st == ST_SYN && s->chain->done < s->hop)
		return;		/* the relay has not received the mail yet */
	for (;;) {
		if (s->ack_due) {
			/* Pure ACK from the receiver of the current send. */
			emit(s, c->dir == C2S ? S2C : C2S, TH_ACK, NULL, 0);
			s->ack_due = false;
			return;
		}
		if (c->active) {
			n = c->len - c->off;
			if (n > opt.mss)
				n = opt.mss;
			if (opt.split_random)
				n = 1 + rng_below(&s->r, n);
			s->final_seg = c->on_done != DONE_NONE &&
			    c->off + n == c->len;
			/* before emit(): with impairments it may move s->t */
			if (c->on_done == DONE_MAIL && c->off + n == c->len &&
			    s->chain != NULL && s->hop + 1 < s->nhops)
				chain_handoff(s);
			emit(s, c->dir, TH_ACK | (c->off + n == c->len ?
			    TH_PSH : 0), c->p + c->off, n);
			c->off += n;
			if (c->off == c->len) {
				c->active = false;
				if (g.imp)
					;	/* see impair() */
				else if (c->on_done == DONE_MAIL)
					record_mail(s, &s->t, s->mail_i, NULL);
				else if (c->on_done == DONE_REJ)
					record_rejected(s, &s->t, s->mail_i,
					    NULL);
				if (c->on_done != DONE_NONE)
					s->mail_i++;
				/* Sometimes the peer ACKs before it answers. */
				s->ack_due = c->dir == C2S && rng_pct(&s->r, 20);
			} else if (++s->unacked == 2) {
				s->unacked = 0;
				s->ack_due = true;
			}
			return;
		}
		if (step(s))
			return;
	}
}

/* ------------------------------------------------------------------ */
/* Driver.                                                             */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: mtgen --out FILE.pcap --truth DIR [options]\n"
"\n"
"Writes a pcap of synthetic SMTP sessions and the exact ground truth of\n"
"every mail on the wire (DIR/truth.jsonl, DIR/mNNNNNN.eml,\n"
"DIR/rejected.jsonl, DIR/summary.json).\n"
"\n"
"  -o, --out FILE            pcap to write (required)\n"
"  -t, --truth DIR           ground-truth directory, created if missing\n"
"                            (old mNNNNNN.eml files in it are removed)\n"
"  -n, --sessions N          SMTP sessions in total (default 100)\n"
"  -c, --concurrency M       sessions open at once, interleaved per\n"
"                            packet (default 10)\n"
"  -k, --mails-per-session K|A-B\n"
"                            mail transactions per session, fixed or\n"
"                            uniform in [A,B] (default 1; 0 allowed)\n"
"  -s, --seed S              PRNG seed (default 1)\n"
"      --min-size B          smallest message in bytes (default 1024)\n"
"      --max-size B          largest message in bytes (default 10485760,\n"
"                            at most 268435456); sizes are log-normal,\n"
"                            median 10 KiB, most within 2-50 KiB, clipped\n"
"                            to [min,max]; a message is never smaller\n"
"                            than its header block (~0.5-1 KiB)\n"
"      --mss N               TCP payload bytes per segment, 1..9000\n"
"                            (default 1460)\n"
"      --split mss|random    mss: full-size segments (default); random:\n"
"                            each segment 1..mss bytes, uniform\n"
"      --pipelining PCT      %% of sessions that pipeline MAIL/RCPT/DATA\n"
"                            (RFC 2920) (default 0)\n"
"      --rcpt-reject PCT     %% of recipients answered 550 (default 0)\n"
"      --ipv6 PCT            %% of sessions over IPv6 (default 0)\n"
"      --vlan PCT            %% of sessions with an 802.1Q tag (default 0)\n"
"      --helo PCT            %% of non-pipelining sessions that use HELO\n"
"                            instead of EHLO (default 5)\n"
"      --servers N           number of servers, 1..200 (default 3);\n"
"                            server i runs Postfix/Exim/Sendmail (i mod 3)\n"
"      --start-time EPOCH    time stamp of the capture start in seconds\n"
"                            (default 1704067200 = 2024-01-01T00:00:00Z)\n"
"\n"
"Impairments (what the tap sees; all default 0 = a perfect tap):\n"
"      --reorder PCT         %% of packets (not SYN, SYN/ACK) delayed after\n"
"                            1..W later packets of their session\n"
"      --reorder-window W    W for --reorder, --duplicate, --overlap,\n"
"                            1..64 (default 4)\n"
"      --duplicate PCT       %% of packets seen twice (copy after 0..W other\n"
"                            packets of the session)\n"
"      --drop PCT            %% of data packets the tap misses (endpoints\n"
"                            got them: no retransmission, a real gap)\n"
"      --overlap PCT         %% of data packets later overlapped by a\n"
"                            retransmission whose overlapping bytes differ\n"
"                            (first data wins) and which extends into the\n"
"                            next segment with true bytes\n"
"      --midstream PCT       %% of sessions whose start (SYN up to a random\n"
"                            point, possibly inside DATA) is not captured\n"
"\n"
"Mail paths (MISSION.md, Source 1):\n"
"      --paths               --sessions N counts mails; mail i takes the\n"
"                            paper's path 1 + i mod 6 through the registered\n"
"                            servers 192.0.2.25 and 192.0.2.26 (IPv6\n"
"                            2001:db8:2::19, ::1a) and the outside server\n"
"                            198.18.0.25 (2001:db8:3::19); every hop is its\n"
"                            own SMTP session, a relay adds a Received:\n"
"                            line; one mail per session\n"
"      --bdat PCT            %% of non-pipelining EHLO sessions that send\n"
"                            their messages as BDAT chunks (default 0)\n"
"      --starttls PCT        %% of EHLO sessions that go TLS after EHLO;\n"
"                            their mails are in no truth file (default 0)\n"
"      --noise PCT           after each SMTP packet, a frame of other\n"
"                            traffic (UDP 53/123, TCP 80/443) with PCT%%\n"
"                            probability (default 0)\n"
"      --sizes lognormal|loguniform\n"
"                            message sizes: log-normal around 10 KiB\n"
"                            (default), or even in log scale over\n"
"                            [--min-size, --max-size]\n"
"  -q, --quiet               no summary line on stderr\n"
"  -h, --help                this text\n"
"\n"
"Exit status: 0 ok, 1 I/O error, 2 usage error.\n");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fputs("mtgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\ntry 'mtgen --help'\n", stderr);
	exit(2);
}

static uint64_t
num(const char *name, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		bad("%s: not a number: '%s'", name, s);
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		bad("%s: not a number: '%s'", name, s);
	if (v < lo || v > hi)
		bad("%s: %s out of range [%" PRIu64 ", %" PRIu64 "]", name, s,
		    lo, hi);
	return v;
}

static void
parse_args(int argc, char **argv)
{
	enum {
		O_MIN = 256, O_MAX, O_MSS, O_SPLIT, O_PIPE, O_REJ, O_V6,
		O_VLAN, O_HELO, O_SRV, O_START, O_REO, O_RWIN, O_DUP, O_DROP,
		O_OVL, O_MID, O_PATHS, O_BDAT, O_TLS, O_NOISE, O_SIZES
	};
	static const struct option lo[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "truth", required_argument, NULL, 't' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "mails-per-session", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "min-size", required_argument, NULL, O_MIN },
		{ "max-size", required_argument, NULL, O_MAX },
		{ "mss", required_argument, NULL, O_MSS },
		{ "split", required_argument, NULL, O_SPLIT },
		{ "pipelining", required_argument, NULL, O_PIPE },
		{ "rcpt-reject", required_argument, NULL, O_REJ },
		{ "ipv6", required_argument, NULL, O_V6 },
		{ "vlan", required_argument, NULL, O_VLAN },
		{ "helo", required_argument, NULL, O_HELO },
		{ "servers", required_argument, NULL, O_SRV },
		{ "start-time", required_argument, NULL, O_START },
		{ "reorder", required_argument, NULL, O_REO },
		{ "reorder-window", required_argument, NULL, O_RWIN },
		{ "duplicate", required_argument, NULL, O_DUP },
		{ "drop", required_argument, NULL, O_DROP },
		{ "overlap", required_argument, NULL, O_OVL },
		{ "midstream", required_argument, NULL, O_MID },
		{ "paths", no_argument, NULL, O_PATHS },
		{ "bdat", required_argument, NULL, O_BDAT },
		{ "starttls", required_argument, NULL, O_TLS },
		{ "noise", required_argument, NULL, O_NOISE },
		{ "sizes", required_argument, NULL, O_SIZES },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *dash;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:t:n:c:k:s:qh", lo, NULL)) !=
	    -1) {
		switch (c) {
		case 'o':
			opt.out = optarg;
			break;
		case 't':
			opt.truth = optarg;
			break;
		case 'n':
			opt.sessions = num("--sessions", optarg, 0,
			    UINT64_C(1) << 32);
			break;
		case 'c':
			opt.conc = (unsigned)num("--concurrency", optarg, 1,
			    100000);
			break;
		case 'k':
			dash = strchr(optarg, '-');
			if (dash != NULL) {
				*dash = '\0';
				opt.kmin = (unsigned)num("--mails-per-session",
				    optarg, 0, 100000);
				opt.kmax = (unsigned)num("--mails-per-session",
				    dash + 1, 0, 100000);
				*dash = '-';
				if (opt.kmin > opt.kmax)
					bad("--mails-per-session: empty range "
					    "'%s'", optarg);
			} else {
				opt.kmin = opt.kmax = (unsigned)num(
				    "--mails-per-session", optarg, 0, 100000);
			}
			break;
		case 's':
			opt.seed = num("--seed", optarg, 0, UINT64_MAX);
			break;
		case O_MIN:
			opt.min_size = num("--min-size", optarg, 1, SIZE_CAP);
			break;
		case O_MAX:
			opt.max_size = num("--max-size", optarg, 1, SIZE_CAP);
			break;
		case O_MSS:
			opt.mss = (unsigned)num("--mss", optarg, 1, MSS_MAX);
			break;
		case O_SPLIT:
			if (strcmp(optarg, "random") == 0)
				opt.split_random = true;
			else if (strcmp(optarg, "mss") == 0)
				opt.split_random = false;
			else
				bad("--split: expected 'mss' or 'random', not "
				    "'%s'", optarg);
			break;
		case O_PIPE:
			opt.pipelining = (unsigned)num("--pipelining", optarg,
			    0, 100);
			break;
		case O_REJ:
			opt.rcpt_reject = (unsigned)num("--rcpt-reject", optarg,
			    0, 100);
			break;
		case O_V6:
			opt.ipv6 = (unsigned)num("--ipv6", optarg, 0, 100);
			break;
		case O_VLAN:
			opt.vlan = (unsigned)num("--vlan", optarg, 0, 100);
			break;
		case O_HELO:
			opt.helo = (unsigned)num("--helo", optarg, 0, 100);
			break;
		case O_SRV:
			opt.servers = (unsigned)num("--servers", optarg, 1, 200);
			break;
		case O_START:
			opt.start_time = num("--start-time", optarg, 0,
			    UINT64_C(4000000000));
			break;
		case O_REO:
			opt.reorder = (unsigned)num("--reorder", optarg, 0, 100);
			break;
		case O_RWIN:
			opt.rwin = (unsigned)num("--reorder-window", optarg, 1,
			    64);
			break;
		case O_DUP:
			opt.duplicate = (unsigned)num("--duplicate", optarg, 0,
			    100);
			break;
		case O_DROP:
			opt.drop = (unsigned)num("--drop", optarg, 0, 100);
			break;
		case O_OVL:
			opt.overlap = (unsigned)num("--overlap", optarg, 0, 100);
			break;
		case O_MID:
			opt.midstream = (unsigned)num("--midstream", optarg, 0,
			    100);
			break;
		case O_PATHS:
			opt.paths = true;
			break;
		case O_BDAT:
			opt.bdat = (unsigned)num("--bdat", optarg, 0, 100);
			break;
		case O_TLS:
			opt.starttls = (unsigned)num("--starttls", optarg, 0, 100);
			break;
		case O_NOISE:
			opt.noise = (unsigned)num("--noise", optarg, 0, 100);
			break;
		case O_SIZES:
			if (strcmp(optarg, "loguniform") == 0)
				opt.loguniform = true;
			else if (strcmp(optarg, "lognormal") == 0)
				opt.loguniform = false;
			else
				bad("--sizes: expected 'lognormal' or 'loguniform', "
				    "not '%s'", optarg);
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			bad("option '%s' needs an argument", argv[optind - 1]);
		default:
			bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad("unexpected argument '%s'", argv[optind]);
	if (opt.out == NULL || opt.truth == NULL)
		bad("--out and --truth are required");
	if (opt.min_size > opt.max_size)
		bad("--min-size %" PRIu64 " > --max-size %" PRIu64,
		    opt.min_size, opt.max_size);
	g.imp = opt.reorder || opt.duplicate || opt.drop || opt.overlap ||
	    opt.midstream;
	if (opt.paths && (opt.bdat || opt.starttls || opt.noise || opt.loguniform))
		bad("--paths does not combine with --bdat, --starttls, --noise "
		    "or --sizes");
	if (g.imp && opt.starttls)
		bad("--starttls does not combine with the impairments");
	if (opt.paths) {
		static const unsigned cum[7] = { 0, 1, 3, 4, 6, 8, 11 };

		if (opt.kmin != 1 || opt.kmax != 1)
			bad("--paths needs --mails-per-session 1");
		opt.path_mails = opt.sessions;
		opt.sessions = opt.path_mails / 6 * PATH_CYCLE_HOPS +
		    cum[opt.path_mails % 6];
	}
}

/* Create DIR if needed and drop old mNNNNNN.eml files. */
static void
prepare_dir(void)
{
	DIR *d;
	struct dirent *e;
	size_t n, i;

	if (mkdir(opt.truth, 0777) != 0 && errno != EEXIST)
		die(1, "cannot create %s: %s", opt.truth, strerror(errno));
	d = opendir(opt.truth);
	if (d == NULL)
		die(1, "cannot open %s: %s", opt.truth, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 11 || e->d_name[0] != 'm' ||
		    strcmp(e->d_name + n - 4, ".eml") != 0)
			continue;
		for (i = 1; i < n - 4; i++)
			if (!isdigit((unsigned char)e->d_name[i]))
				break;
		if (i != n - 4)
			continue;
		if (unlink(dir_path(e->d_name)) != 0)
			die(1, "cannot remove %s: %s", dir_path(e->d_name),
			    strerror(errno));
	}
	closedir(d);
}

static FILE *
open_out(const char *name)
{
	const char *p = dir_path(name);
	FILE *f = fopen(p, "w");

	if (f == NULL)
		die(1, "cannot create %s: %s", p, strerror(errno));
	return f;
}

static void
close_out(FILE *f, const char *name)
{
	if (fflush(f) != 0 || ferror(f) || fclose(f) != 0)
		die(1, "cannot write %s: %s", dir_path(name), strerror(errno));
}

static void
write_summary(void)
{
	FILE *f = open_out("summary.json");

	fprintf(f, "{\n"
	    "  \"sessions\": %" PRIu64 ",\n"
	    "  \"mails\": %" PRIu64 ",\n"
	    "  \"mail_bytes\": %" PRIu64 ",\n"
	    "  \"rejected_transactions\": %" PRIu64 ",\n"
	    "  \"packets\": %" PRIu64 ",\n"
	    "  \"bytes\": %" PRIu64 ",\n"
	    "  \"c2s_payload_bytes\": %" PRIu64 ",\n"
	    "  \"s2c_payload_bytes\": %" PRIu64 ",\n"
	    "  \"max_concurrency\": %" PRIu64 ",\n"
	    "  \"first_ts\": %" PRIu64 ".%06" PRIu64 ",\n"
	    "  \"last_ts\": %" PRIu64 ".%06" PRIu64 ",\n",
	    g.sessions_done, g.mails, g.mail_bytes, g.rejected, g.packets,
	    g.bytes, g.c2s_payload, g.s2c_payload, g.max_open,
	    g.first_ts / 1000000, g.first_ts % 1000000,
	    g.now / 1000000, g.now % 1000000);
	if (g.imp)
		fprintf(f, "  \"impairments\": {\"dropped_packets\": %" PRIu64
		    ", \"dropped_bytes\": %" PRIu64 ", \"duplicated_packets\": %"
		    PRIu64 ", \"reordered_packets\": %" PRIu64 ", "
		    "\"overlapped_packets\": %" PRIu64 ", "
		    "\"midstream_sessions\": %" PRIu64 ", "
		    "\"midstream_packets\": %" PRIu64 ", "
		    "\"affected_mails\": %" PRIu64 ", "
		    "\"affected_rejected\": %" PRIu64 ", \"reorder\": %u, "
		    "\"reorder_window\": %u, \"duplicate\": %u, \"drop\": %u, "
		    "\"overlap\": %u, \"midstream\": %u},\n",
		    g.dropped, g.dropped_bytes, g.duplicated, g.reordered,
		    g.overlapped, g.mid_sessions, g.mid_packets, g.aff_mails,
		    g.aff_rej, opt.reorder, opt.rwin, opt.duplicate, opt.drop,
		    opt.overlap, opt.midstream);
	fprintf(f,
	    "  \"options\": {\"sessions\": %" PRIu64 ", \"concurrency\": %u, "
	    "\"mails_per_session\": [%u, %u], \"seed\": %" PRIu64 ", "
	    "\"min_size\": %" PRIu64 ", \"max_size\": %" PRIu64 ", "
	    "\"mss\": %u, \"split\": \"%s\", \"pipelining\": %u, "
	    "\"rcpt_reject\": %u, \"ipv6\": %u, \"vlan\": %u, \"helo\": %u, "
	    "\"servers\": %u, \"start_time\": %" PRIu64 "}\n"
	    "}\n",
	    opt.sessions, opt.conc, opt.kmin, opt.kmax, opt.seed,
	    opt.min_size, opt.max_size, opt.mss,
	    opt.split_random ? "random" : "mss", opt.pipelining,
	    opt.rcpt_reject, opt.ipv6, opt.vlan, opt.helo, opt.servers,
	    opt.start_time);
	if (opt.bdat || opt.starttls || opt.noise || opt.loguniform) {
		/* replace the closing "}\n}\n" to add the extras */
		if (fseek(f, -4, SEEK_CUR) != 0)
			die(1, "cannot write %s: %s", dir_path("summary.json"),
			    strerror(errno));
		fprintf(f, ", \"bdat\": %u, \"starttls\": %u, \"noise\": %u, "
		    "\"sizes\": \"%s\"},\n  \"extras\": {\"bdat_sessions\": %"
		    PRIu64 ", \"bdat_chunks\": %" PRIu64 ", \"tls_sessions\": %"
		    PRIu64 ", \"tls_bytes\": %" PRIu64 ", \"noise_packets\": %"
		    PRIu64 ", \"noise_bytes\": %" PRIu64 "}\n}\n", opt.bdat,
		    opt.starttls, opt.noise, opt.loguniform ? "loguniform" :
		    "lognormal", g.bdat_sessions, g.bdat_chunks, g.tls_sessions,
		    g.tls_bytes, g.noise_packets, g.noise_bytes);
	}
	if (opt.paths) {
		/* replace the closing "}\n}\n" to add the path fields */
		if (fseek(f, -4, SEEK_CUR) != 0)
			die(1, "cannot write %s: %s", dir_path("summary.json"),
			    strerror(errno));
		fprintf(f, ", \"paths\": true},\n  \"path_mails\": %" PRIu64
		    "\n}\n", opt.path_mails);
	}
	close_out(f, "summary.json");
}

int
main(int argc, char **argv)
{
	struct sess *slots;
	uint64_t next = 0, k;
	unsigned nactive = 0, i, cap;
	struct timespec t0, t1;
	double secs;

	parse_args(argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	g.pc = pcap_open_dead(DLT_EN10MB, 65535);
	if (g.pc == NULL)
		die(1, "pcap_open_dead failed");
	g.pf = fopen(opt.out, "wb");
	if (g.pf == NULL)
		die(1, "cannot create %s: %s", opt.out, strerror(errno));
	setvbuf(g.pf, NULL, _IOFBF, 1 << 20);
	g.pd = pcap_dump_fopen(g.pc, g.pf);
	if (g.pd == NULL)
		die(1, "cannot write %s: %s", opt.out, pcap_geterr(g.pc));

	if (pcap_dump_flush(g.pd) != 0)
		die(1, "cannot write %s: %s", opt.out, strerror(errno));
	prepare_dir();
	g.truth = open_out("truth.jsonl");
	g.rej = open_out("rejected.jsonl");

	rng_seed(&g.sched, opt.seed, 0x5c4edull << 32);
	rng_seed(&g.setup, opt.seed, 0x5e7ull << 40);
	rng_seed(&g.noise, opt.seed, 0x6e6f6973ull << 16);
	g.now = opt.start_time * 1000000;

	cap = opt.sessions < opt.conc ? (unsigned)opt.sessions : opt.conc;
	slots = calloc(cap ? cap : 1, sizeof(*slots));
	if (slots == NULL)
		die(1, "out of memory");
	while (nactive < cap)
		sess_init(&slots[nactive++], next++);

	while (nactive > 0) {
		k = rng_below(&g.sched, nactive);
		sess_packet(&slots[k]);
		if (slots[k].st != ST_DONE)
			continue;
		if (next < opt.sessions) {
			sess_init(&slots[k], next++);
		} else {
			struct sess tmp = slots[k];
			struct pend *p;

			slots[k] = slots[nactive - 1];
			slots[--nactive] = tmp;
			for (p = slots[k].plist; p != NULL; p = p->next)
				p->s = &slots[k];
		}
	}

	if (pcap_dump_flush(g.pd) != 0 || ferror(g.pf))
		die(1, "cannot write %s: %s", opt.out, strerror(errno));
	pcap_dump_close(g.pd);
	pcap_close(g.pc);
	close_out(g.truth, "truth.jsonl");
	close_out(g.rej, "rejected.jsonl");

	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	write_summary();

	if (!opt.quiet)
		fprintf(stderr, "mtgen: %" PRIu64 " sessions, %" PRIu64
		    " mails (%" PRIu64 " bytes), %" PRIu64 " rejected, %"
		    PRIu64 " packets, %" PRIu64 " bytes, max %" PRIu64
		    " open, %.3f s\n", g.sessions_done, g.mails, g.mail_bytes,
		    g.rejected, g.packets, g.bytes, g.max_open, secs);
	if (!opt.quiet && g.imp)
		fprintf(stderr, "mtgen: impairments: %" PRIu64 " dropped, %"
		    PRIu64 " duplicated, %" PRIu64 " reordered, %" PRIu64
		    " overlapped, %" PRIu64 " mid-stream sessions; %" PRIu64
		    " mails affected\n", g.dropped, g.duplicated, g.reordered,
		    g.overlapped, g.mid_sessions, g.aff_mails);

	for (i = 0; i < cap; i++) {
		free(slots[i].cbuf.p);
		free(slots[i].sbuf.p);
		free(slots[i].t.raw.p);
		free(slots[i].t.wire.p);
		while (slots[i].nspare)
			free(slots[i].spare[--slots[i].nspare]);
		free(slots[i].spare);
		free(slots[i].hq);
		free(slots[i].ov[0].p);
		free(slots[i].ov[1].p);
	}
	free(slots);
	free(g.path);
	return 0;
}
