/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mt_policy.c - build the registered-server ranges (cold path).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mt_policy.h"

struct range6 {
	struct mt_policy_a6 lo, hi;
};

static const char *const policy_mode_names[] = {
	[MT_POLICY_ALL] = "all",
	[MT_POLICY_REGISTERED] = "registered",
};

const char *
mt_policy_mode_str(enum mt_policy_mode mode)
{
	return (unsigned)mode < MT_ARRAY_SIZE(policy_mode_names) ?
	       policy_mode_names[mode] : "?";
}

static int
range6_cmp(const void *a, const void *b)
{
	const struct range6 *x = a, *y = b;

	if (x->lo.hi != y->lo.hi)
		return x->lo.hi < y->lo.hi ? -1 : 1;
	if (x->lo.lo != y->lo.lo)
		return x->lo.lo < y->lo.lo ? -1 : 1;
	return 0;
}

/* b <= a + 1: a range ending at a overlaps or touches one starting at b */
static int
a6_adjacent_or_below(struct mt_policy_a6 a, struct mt_policy_a6 b)
{
	if (a.hi == UINT64_MAX && a.lo == UINT64_MAX)
		return 1;
	if (++a.lo == 0)
		a.hi++;
	return mt_policy_a6_le(b, a);
}

/*
 * Both families go through the 128-bit path: an IPv4 range lives in the
 * low 32 bits.  Sort by start, then merge overlapping and adjacent ranges.
 */
static unsigned
merge(struct range6 *r, unsigned n)
{
	unsigned i, out = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range6_cmp);
	for (i = 1; i < n; i++) {
		if (a6_adjacent_or_below(r[out].hi, r[i].lo)) {
			if (mt_policy_a6_le(r[out].hi, r[i].hi))
				r[out].hi = r[i].hi;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static void
prefix_range(const struct mt_conf_prefix *pf, struct range6 *r)
{
	uint64_t mhi, mlo;

	if (pf->family == 4) {
		uint64_t a = mt_policy_be32(pf->addr);
		uint64_t host = pf->len == 0 ? UINT32_MAX :
				(UINT32_C(1) << (32 - pf->len)) - 1;

		r->lo.hi = r->hi.hi = 0;
		r->lo.lo = a & ~host & UINT32_MAX;
		r->hi.lo = (a | host) & UINT32_MAX;
		return;
	}
	/* host-part masks of the two halves */
	mhi = pf->len >= 64 ? 0 : pf->len == 0 ? UINT64_MAX :
	      (UINT64_C(1) << (64 - pf->len)) - 1;
	mlo = pf->len >= 128 ? 0 : pf->len <= 64 ? UINT64_MAX :
	      (UINT64_C(1) << (128 - pf->len)) - 1;
	r->lo.hi = mt_policy_be64(pf->addr) & ~mhi;
	r->lo.lo = mt_policy_be64(pf->addr + 8) & ~mlo;
	r->hi.hi = r->lo.hi | mhi;
	r->hi.lo = r->lo.lo | mlo;
}

int
mt_policy_init(struct mt_policy *p, enum mt_policy_mode mode,
	       const struct mt_conf_prefix *pfx, unsigned n, struct mt_err *err)
{
	struct range6 *r4, *r6;
	unsigned i, n4 = 0, n6 = 0;

	if (mode != MT_POLICY_ALL && mode != MT_POLICY_REGISTERED)
		return mt_err_set(err, EINVAL, "policy: unknown mode %d", (int)mode);
	if (n > MT_POLICY_MAX_PREFIXES)
		return mt_err_set(err, EINVAL, "policy: %u prefixes, at most %d",
				  n, MT_POLICY_MAX_PREFIXES);
	if (mode == MT_POLICY_REGISTERED && n == 0)
		return mt_err_set(err, EINVAL, "policy: mode registered needs at "
				  "least one registered server");
	for (i = 0; i < n; i++)
		if (!((pfx[i].family == 4 && pfx[i].len <= 32) ||
		      (pfx[i].family == 6 && pfx[i].len <= 128)))
			return mt_err_set(err, EINVAL, "policy: prefix %u: bad "
					  "family %u or length %u", i,
					  pfx[i].family, pfx[i].len);
	r4 = malloc(2 * (n + 1) * sizeof(*r4));
	if (r4 == NULL)
		return mt_err_set(err, ENOMEM, "policy: out of memory");
	r6 = r4 + n + 1;
	for (i = 0; i < n; i++) {
		if (pfx[i].family == 4)
			prefix_range(&pfx[i], &r4[n4++]);
		else
			prefix_range(&pfx[i], &r6[n6++]);
	}
	n4 = merge(r4, n4);
	n6 = merge(r6, n6);

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->n_prefixes = n;
	p->n4 = n4;
	p->n6 = n6;
	for (i = 0; i < n4; i++) {
		p->lo4[i] = (uint32_t)r4[i].lo.lo;
		p->hi4[i] = (uint32_t)r4[i].hi.lo;
	}
	for (i = 0; i < n6; i++) {
		p->lo6[i] = r6[i].lo;
		p->hi6[i] = r6[i].hi;
	}
	free(r4);
	return 0;
}

int
mt_policy_parse(struct mt_policy *p, const char *mode, const char *servers,
		struct mt_err *err)
{
	static const char sep[] = ", \t\r\n";
	struct mt_conf_prefix *pfx;
	char tok[64], why[256];
	enum mt_policy_mode m;
	const char *s = servers != NULL ? servers : "";
	unsigned n = 0;
	size_t l;
	int rc;

	if (mode != NULL && strcasecmp(mode, "all") == 0)
		m = MT_POLICY_ALL;
	else if (mode != NULL && strcasecmp(mode, "registered") == 0)
		m = MT_POLICY_REGISTERED;
	else
		return mt_err_set(err, EINVAL, "policy: mode '%s' is not all or "
				  "registered", mode != NULL ? mode : "(null)");
	pfx = malloc(MT_POLICY_MAX_PREFIXES * sizeof(*pfx));
	if (pfx == NULL)
		return mt_err_set(err, ENOMEM, "policy: out of memory");
	for (;;) {
		s += strspn(s, sep);
		if (*s == '\0')
			break;
		l = strcspn(s, sep);
		if (l >= sizeof(tok)) {
			rc = mt_err_set(err, EINVAL, "policy: '%.*s...' is not an "
					"address or prefix", 40, s);
			goto out;
		}
		memcpy(tok, s, l);
		tok[l] = '\0';
		s += l;
		if (mt_conf_prefix_parse(tok, &pfx[n], why, sizeof(why)) != 0) {
			rc = mt_err_set(err, EINVAL, "policy: %s", why);
			goto out;
		}
		if (++n == MT_POLICY_MAX_PREFIXES && *(s + strspn(s, sep)) != '\0') {
			rc = mt_err_set(err, EINVAL, "policy: more than %d prefixes",
					MT_POLICY_MAX_PREFIXES);
			goto out;
		}
	}
	rc = mt_policy_init(p, m, pfx, n, err);
out:
	free(pfx);
	return rc;
}
