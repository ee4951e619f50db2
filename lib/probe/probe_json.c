/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * probe_json.c - one host's record members (see mt_probe.h).  The field
 * names are those `mailtap probe --json` has always printed; the survey
 * report (app/mailtap/cmd_report.c) reads them.
 */
#include <string.h>

#include "mt_probe.h"

void
mt_probe_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
mt_probe_json_verdict(FILE *f, const struct mt_fp_verdict *v)
{
	fprintf(f, "\"verdict\":\"%s\"", v->known ? "known" : "unknown");
	if (v->known) {
		fprintf(f, ",\"rule\":");
		mt_probe_json_str(f, v->rule);
		fprintf(f, ",\"product\":");
		mt_probe_json_str(f, v->product);
		fprintf(f, ",\"vendor\":");
		mt_probe_json_str(f, v->vendor);
		fprintf(f, ",\"family\":");
		mt_probe_json_str(f, v->family);
		fprintf(f, ",\"version\":");
		if (v->version[0])
			mt_probe_json_str(f, v->version);
		else
			fprintf(f, "null");
	} else {
		fprintf(f, ",\"reason\":");
		mt_probe_json_str(f, v->reason ? v->reason : "");
		fprintf(f, ",\"nearest\":");
		mt_probe_json_str(f, v->rule);
	}
	fprintf(f, ",\"score\":%d,\"threshold\":%d,\"nonbanner\":%d", v->score, MT_FP_THRESHOLD,
		v->nonbanner);
	fprintf(f, ",\"runner_up\":");
	mt_probe_json_str(f, v->runner_up);
	fprintf(f, ",\"runner_score\":%d,\"decided\":[", v->runner_score);
	for (int i = 0; i < v->ndecided; i++) {
		fprintf(f, "%s{\"obs\":\"%s\",\"weight\":%d,\"cond\":", i ? "," : "",
			mt_fp_obs_name(v->decided[i].obs), v->decided[i].weight);
		mt_probe_json_str(f, v->decided[i].cond);
		fprintf(f, "}");
	}
	fprintf(f, "]");
}

void
mt_probe_json_host(FILE *f, const struct mt_probe_result *r, const struct mt_fp_verdict *v)
{
	if (r->error) {
		fprintf(f, "\"status\":\"dead\",\"verdict\":\"unreachable\",\"error\":");
		char msg[128];

		snprintf(msg, sizeof(msg), "connect: %s", strerror(r->error));
		mt_probe_json_str(f, msg);
		fprintf(f, ",\"ms\":%u", r->ms);
		return;
	}
	fprintf(f, "\"status\":\"ok\",");
	mt_probe_json_verdict(f, v);
	fprintf(f, ",\"ms\":%u,\"total_timeout\":%s,\"transcript\":{", r->ms,
		r->total_timeout ? "true" : "false");
	for (int i = 0, first = 1; i < MT_FP_NOBS; i++) {
		const struct mt_fp_obs *o = &r->obs->o[i];

		if (!o->present)
			continue;
		fprintf(f, "%s\"%s\":{\"reply\":", first ? "" : ",", mt_fp_obs_name(i));
		mt_probe_json_str(f, o->text);
		fprintf(f, ",\"ms\":%u,\"closed\":%s,\"timeout\":%s,\"slow\":%s}", o->ms,
			o->flags & MT_FP_F_CLOSED ? "true" : "false",
			o->flags & MT_FP_F_TIMEOUT ? "true" : "false",
			o->flags & MT_FP_F_SLOW ? "true" : "false");
		first = 0;
	}
	fprintf(f, "}");
}
