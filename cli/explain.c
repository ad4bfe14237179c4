/*
 * Output of decisions: the one-line result, the --explain trace and the
 * --json object. Shared by eval and release.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static void print_value_text(FILE *out, const skr_value_view *v)
{
	switch (v->type) {
	case SKR_TYPE_NULL: fputs("null", out); break;
	case SKR_TYPE_FALSE: fputs("false", out); break;
	case SKR_TYPE_TRUE: fputs("true", out); break;
	case SKR_TYPE_INT: fprintf(out, "%" PRId64, v->i); break;
	case SKR_TYPE_DOUBLE: {
		char number[40];
		skr_format_double(v->d, number, sizeof number);
		fputs(number, out);
		break;
	}
	case SKR_TYPE_STRING: cli_json_string(out, v->str, v->len); break;
	case SKR_TYPE_ARRAY: fputs("[array]", out); break;
	case SKR_TYPE_OBJECT: fputs("{object}", out); break;
	}
}

void cli_print_value_json(FILE *out, const skr_value_view *v)
{
	switch (v->type) {
	case SKR_TYPE_ARRAY: fputs("\"(array)\"", out); break;
	case SKR_TYPE_OBJECT: fputs("\"(object)\"", out); break;
	default: print_value_text(out, v); break;
	}
}

void cli_print_trace_text(FILE *out, const skr_trace *trace)
{
	for (size_t i = 0; i < trace->count; i++) {
		const skr_trace_event *e = &trace->events[i];
		switch (e->kind) {
		case SKR_TRACE_SKIPPED:
			fprintf(out, "entry %u  %.*s: skipped, the authority does not match the issuer\n",
			        e->entry, (int)e->path_len, e->path);
			break;
		case SKR_TRACE_ENTRY:
			fprintf(out, "entry %u  %.*s: the authority matches the issuer\n",
			        e->entry, (int)e->path_len, e->path);
			break;
		case SKR_TRACE_CONDITION:
			fprintf(out, "  %s  %.*s: ", e->held ? "held  " : "FAILED", (int)e->path_len, e->path);
			if (e->found)
				print_value_text(out, &e->value);
			else
				fputs("missing", out);
			fprintf(out, " %s ", skr_operator_name(e->op));
			print_value_text(out, &e->expected);
			fputc('\n', out);
			break;
		}
	}
	if (trace->dropped)
		fprintf(out, "(%zu more steps not shown: the trace buffer is full)\n", trace->dropped);
}

void cli_print_trace_json(FILE *out, const skr_trace *trace)
{
	fputc('[', out);
	for (size_t i = 0; i < trace->count; i++) {
		const skr_trace_event *e = &trace->events[i];
		if (i)
			fputc(',', out);
		if (e->kind != SKR_TRACE_CONDITION) {
			fprintf(out, "{\"entry\":%u,\"authority\":", e->entry);
			cli_json_string(out, e->path, e->path_len);
			fprintf(out, ",\"matched\":%s}", e->kind == SKR_TRACE_ENTRY ? "true" : "false");
			continue;
		}
		fprintf(out, "{\"entry\":%u,\"claim\":", e->entry);
		cli_json_string(out, e->path, e->path_len);
		fprintf(out, ",\"operator\":\"%s\",\"expected\":", skr_operator_name(e->op));
		cli_print_value_json(out, &e->expected);
		fprintf(out, ",\"found\":%s", e->found ? "true" : "false");
		if (e->found) {
			fputs(",\"value\":", out);
			cli_print_value_json(out, &e->value);
		}
		fprintf(out, ",\"held\":%s}", e->held ? "true" : "false");
	}
	fputc(']', out);
}

const char *cli_reason_message(const char *reason)
{
	if (strcmp(reason, "released") == 0)
		return "an authority entry matching the issuer had its conditions hold";
	if (strcmp(reason, "conditions_not_met") == 0)
		return "no authority entry matching the issuer had its conditions hold";
	if (strcmp(reason, "no_matching_authority") == 0)
		return "no authority entry of the policy matches the issuer";
	if (strcmp(reason, "no_release_key") == 0)
		return "the policy released, but the token carries no RSA encryption key in x-ms-runtime.keys to wrap the key to";
	return reason;
}

static const char *decision_issuer;
static size_t decision_issuer_len;

void cli_set_decision_issuer(const char *issuer, size_t len)
{
	decision_issuer = issuer;
	decision_issuer_len = len;
}

void cli_print_decision(FILE *out, const skr_program *program, const skr_result *result,
                        const skr_trace *trace, int json)
{
	const char *authority = NULL;
	size_t authority_len = 0;
	if (result->decision == SKR_RELEASE)
		skr_program_entry_authority(program, (uint32_t)result->entry, &authority, &authority_len);
	if (json) {
		fprintf(out, "{\"decision\":\"%s\",\"authority\":",
		        result->decision == SKR_RELEASE ? "release" : "deny");
		if (authority)
			cli_json_string(out, authority, authority_len);
		else
			fputs("null", out);
		fprintf(out, ",\"entry\":");
		if (result->decision == SKR_RELEASE)
			fprintf(out, "%d", result->entry);
		else
			fputs("null", out);
		if (decision_issuer) {
			fputs(",\"issuer\":", out);
			cli_json_string(out, decision_issuer, decision_issuer_len);
		}
		fprintf(out, ",\"reason\":{\"code\":\"%s\",\"message\":", result->reason);
		const char *message = cli_reason_message(result->reason);
		cli_json_string(out, message, strlen(message));
		fputc('}', out);
		if (trace) {
			fputs(",\"trace\":", out);
			cli_print_trace_json(out, trace);
		}
		fputs("}\n", out);
		return;
	}
	if (trace)
		cli_print_trace_text(out, trace);
	if (result->decision == SKR_RELEASE)
		fprintf(out, "release: entry %d, authority %.*s\n", result->entry,
		        (int)authority_len, authority);
	else
		fprintf(out, "deny: %s (%s)\n", result->reason, cli_reason_message(result->reason));
}

void cli_print_failure_json(FILE *out, const char *decision, const char *code,
                            const char *message)
{
	fprintf(out, "{\"decision\":\"%s\",\"authority\":null,\"reason\":{\"code\":", decision);
	cli_json_string(out, code, strlen(code));
	fputs(",\"message\":", out);
	cli_json_string(out, message, strlen(message));
	fputs("}}\n", out);
}
