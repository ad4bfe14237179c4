/*
 * Reports of a bench run: the readable table, CSV and JSON, and the facts
 * about the machine printed with them. Times are medians in nanoseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "harness.h"

/* ---- the machine ---- */

void bench_load_average(double load[3])
{
	load[0] = load[1] = load[2] = 0;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f == NULL)
		return;
	if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
		load[0] = load[1] = load[2] = 0;
	fclose(f);
}

/* Copies the value of the first "key ... : value" line of a /proc file. */
static int read_proc_field(const char *path, const char *key, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[512];
	int found = 0;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, strlen(key)) != 0)
			continue;
		const char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		snprintf(out, cap, "%s", colon);
		out[strcspn(out, "\n")] = '\0';
		found = 1;
	}
	fclose(f);
	return found;
}

void bench_machine_read(bench_machine *machine)
{
	memset(machine, 0, sizeof *machine);
	if (!read_proc_field("/proc/cpuinfo", "model name", machine->cpu, sizeof machine->cpu))
		snprintf(machine->cpu, sizeof machine->cpu, "unknown");
	machine->cores = sysconf(_SC_NPROCESSORS_ONLN);
	char mem[64];
	if (read_proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem))
		machine->memory_gib = strtod(mem, NULL) / (1024.0 * 1024.0);
#if defined(__clang__)
	snprintf(machine->compiler, sizeof machine->compiler, "clang %s", __clang_version__);
#elif defined(__GNUC__)
	snprintf(machine->compiler, sizeof machine->compiler, "gcc %s", __VERSION__);
#else
	snprintf(machine->compiler, sizeof machine->compiler, "unknown");
#endif
#ifdef __OPTIMIZE__
	machine->optimized = 1;
#endif
	bench_load_average(machine->load_before);
}

/* ---- helpers ---- */

static const char *decision_name(const bench_result *r)
{
	return r->decision.decision == SKR_RELEASE ? "release" : "deny";
}

/* "release", "deny", or "" for a peer that only verifies. */
static const char *peer_decision_name(const bench_peer *p)
{
	if (p->decision < 0)
		return "";
	return p->decision ? "release" : "deny";
}

static double per_instruction(const bench_result *r)
{
	return r->run.instructions > 0 ? r->eval.median / (double)r->run.instructions : 0;
}

static double floor_ns(const bench_peers *peers)
{
	return peers->rsa_verify.median + peers->sha256.median;
}

/* Writes a time with a precision that suits its size. */
static void put_ns(FILE *out, double ns)
{
	if (ns < 100)
		fprintf(out, "%.2f", ns);
	else
		fprintf(out, "%.0f", ns);
}

/* The policy's file name without its folders, for narrow columns. */
static const char *short_name(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash != NULL ? slash + 1 : name;
}

/* ---- table ---- */

static void table_results(FILE *out, const bench_report *report)
{
	fprintf(out, "%-34s %-8s %11s %7s %5s %7s %17s %8s %9s %9s %9s\n", "policy", "decision",
	        "instr run/", "loads", "path", "bytes", "eval ns", "ns per", "index ns", "cold ns",
	        "warm ns");
	fprintf(out, "%-34s %-8s %11s %7s %5s %7s %17s %8s %9s %9s %9s\n", "", "", "bound", "run/bnd",
	        "", "", "median (p10-p90)", "instr", "", "", "");
	for (size_t i = 0; i < report->count; i++) {
		const bench_result *r = &report->results[i];
		char instr[32], loads[32], eval[64], cold[32], warm[32];
		snprintf(instr, sizeof instr, "%u/%u", r->run.instructions, r->issuer_cost.instructions);
		snprintf(loads, sizeof loads, "%u/%u", r->run.claim_loads, r->issuer_cost.claim_loads);
		snprintf(eval, sizeof eval, "%.1f (%.1f-%.1f)", r->eval.median, r->eval.p10, r->eval.p90);
		snprintf(cold, sizeof cold, "%s", "-");
		snprintf(warm, sizeof warm, "%s", "-");
		if (r->cold.valid) {
			snprintf(cold, sizeof cold, "%.0f", r->cold.median);
			snprintf(warm, sizeof warm, "%.0f", r->warm.median);
		}
		fprintf(out, "%-34.34s %-8s %11s %7s %5u %7u %17s %8.2f %9.0f %9s %9s\n",
		        short_name(r->workload->name), decision_name(r), instr, loads,
		        r->cost.longest_path, r->cost.bytecode_bytes, eval, per_instruction(r),
		        r->index.median, cold, warm);
	}
}

static const char *const thread_work_names[BENCH_THREADS_KINDS] = { "eval", "cold", "warm" };

/* Decisions per second of all threads, and the share of linear scaling
 * from one thread. */
static void table_scaling(FILE *out, const bench_result *r)
{
	const bench_scaling *sc = &r->scaling;
	fprintf(out, "%s: throughput by thread count (decisions per second; in parentheses, "
	        "the share of n times one thread's throughput)\n", short_name(r->workload->name));
	for (uint32_t c = 0; c < sc->count; c++) {
		fprintf(out, "  %3u thread%s", sc->threads[c], sc->threads[c] == 1 ? " " : "s");
		for (uint32_t k = 0; k < BENCH_THREADS_KINDS; k++) {
			const bench_stats *st = &sc->wall[k][c];
			const bench_stats *one = &sc->wall[k][0];
			if (!st->valid || st->median <= 0)
				continue;
			double rate = 1e9 / st->median;
			double linear = one->median > 0 ? one->median / (st->median * sc->threads[c]) : 0;
			fprintf(out, "  %s %12.0f/s (%.2f)", thread_work_names[k], rate, linear);
		}
		fputc('\n', out);
	}
}

static void table_details(FILE *out, const bench_report *report)
{
	const bench_peers *peers = report->peers;
	for (size_t i = 0; i < report->count; i++) {
		const bench_result *r = &report->results[i];
		if (r->threads > 1)
			table_scaling(out, r);
		if (!r->cold.valid)
			continue;
		const bench_cold_parts *p = &r->parts;
		fprintf(out, "%s: cold release %.0f ns = base64url %.0f + header %.0f + signature %.0f "
		        "(SHA-256 %.0f of it) + index %.0f + eval %.1f + rest %.0f\n",
		        short_name(r->workload->name), r->cold.median, p->base64url.median,
		        p->header.median, p->signature.median, p->sha256.median, p->index.median,
		        p->eval.median, p->rest);
		fprintf(out, "%s: warm release %.0f ns (%s), one token for %u programs %.0f ns, "
		        "skr_release %.0f ns\n", short_name(r->workload->name), r->warm.median,
		        r->warm_cached ? "every call a cache hit" : "NOT served by the cache",
		        BENCH_BATCH_PROGRAMS, r->batch.median, r->release.median);
		if (peers != NULL && peers->floor_valid && floor_ns(peers) > 0)
			fprintf(out, "%s: cold / floor = %.2f, warm / floor = %.4f\n",
			        short_name(r->workload->name), r->cold.median / floor_ns(peers),
			        r->warm.median / floor_ns(peers));
	}
	for (size_t i = 0; i < report->count; i++) {
		if (report->results[i].cold.valid) {
			fprintf(out, "cold: skr_release_batch with a workspace and no cache; warm: the same "
			        "token again through a verified-token cache; skr_release: the one-call API, "
			        "which allocates\n");
			break;
		}
	}
}

static void table_peers(FILE *out, const bench_report *report)
{
	const bench_peers *peers = report->peers;
	if (peers == NULL || report->count == 0)
		return;
	const bench_result *first = &report->results[0];
	if (peers->floor_valid)
		fprintf(out, "\nfloor (%s, same run): RSA-2048 EVP_PKEY_verify %.0f ns + SHA-256 of the "
		        "signing input %.0f ns = %.0f ns\n", peers->floor_version,
		        peers->rsa_verify.median, peers->sha256.median, floor_ns(peers));
	else
		fprintf(out, "\nfloor: not measured\n");
	if (peers->count > 0) {
		fprintf(out, "\npeers on %s (ratio = peer ns / skr ns for the same work):\n",
		        short_name(first->workload->name));
		fprintf(out, "%-28s %-10s %-17s %12s %10s %9s  %s\n", "peer", "version", "compared with",
		        "peer ns", "skr ns", "ratio", "decision");
		for (size_t i = 0; i < peers->count; i++) {
			const bench_peer *p = &peers->items[i];
			double skr = bench_skr_ns_for(first, p->work);
			const char *agrees = "";
			if (p->decision >= 0)
				agrees = (p->decision == 1) == (first->decision.decision == SKR_RELEASE)
					? " (same as skr)" : " (DIFFERS from skr)";
			fprintf(out, "%-28s %-10.10s %-17s %12.1f %10.1f %9.2f  %s%s\n", p->name,
			        p->version[0] ? p->version : "-", bench_work_name(p->work), p->stats.median,
			        skr, skr > 0 ? p->stats.median / skr : 0,
			        p->decision < 0 ? "-" : peer_decision_name(p), agrees);
		}
		for (size_t i = 0; i < peers->count; i++)
			fprintf(out, "  %s: %s\n", peers->items[i].name, peers->items[i].what);
	}
	for (size_t i = 0; i < peers->note_count; i++)
		fprintf(out, "note: %s\n", peers->notes[i]);
}

void bench_report_table(FILE *out, const bench_report *report)
{
	const bench_machine *m = report->machine;
	fprintf(out, "skr bench: median of %u rounds of at least %.0f ms each; nanoseconds per call\n",
	        report->config->rounds, report->config->round_ns / 1e6);
	fprintf(out, "machine: %s, %ld cores, %.1f GiB; load average %.2f %.2f %.2f before, "
	        "%.2f %.2f %.2f after\n\n", m->cpu, m->cores, m->memory_gib, m->load_before[0],
	        m->load_before[1], m->load_before[2], m->load_after[0], m->load_after[1],
	        m->load_after[2]);
	if (!m->optimized)
		fprintf(out, "warning: this skr was built without optimization, so its figures say "
		        "little; build with -Doptimize=ReleaseFast\n\n");
	table_results(out, report);
	fprintf(out, "\ninstr and loads: executed in the measured decision / static bound for its "
	        "issuer; path: longest path through one entry\n");
	table_details(out, report);
	table_peers(out, report);
}

/* ---- CSV ---- */

static void csv_text(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_number(FILE *out, int valid, double value)
{
	fputc(',', out);
	if (valid)
		put_ns(out, value);
}

/* Empty fields up to cold_eval_ns, the 22nd column, from the 4th or the
 * 5th; the next field written is peer_ns. */
#define CSV_EMPTY_4_TO_22 ",,,,,,,,,,,,,,,,,,,"
#define CSV_EMPTY_5_TO_22 ",,,,,,,,,,,,,,,,,,"

void bench_report_csv(FILE *out, const bench_report *report)
{
	fprintf(out, "kind,name,what,decision,instructions,executed_instructions,"
	        "predicted_instructions,claim_loads,executed_claim_loads,longest_path,"
	        "bytecode_bytes,eval_ns,eval_ns_p10,eval_ns_p90,eval_ns_per_instruction,index_ns,"
	        "cold_ns,warm_ns,cold_base64url_ns,cold_signature_ns,cold_index_ns,cold_eval_ns,"
	        "peer_ns,skr_ns,ratio_to_skr\n");
	for (size_t i = 0; i < report->count; i++) {
		const bench_result *r = &report->results[i];
		fprintf(out, "policy,");
		csv_text(out, r->workload->name);
		fprintf(out, ",,%s,%u,%u,%u,%u,%u,%u,%u", decision_name(r), r->cost.instructions,
		        r->run.instructions, r->issuer_cost.instructions, r->cost.claim_loads,
		        r->run.claim_loads, r->cost.longest_path, r->cost.bytecode_bytes);
		csv_number(out, 1, r->eval.median);
		csv_number(out, 1, r->eval.p10);
		csv_number(out, 1, r->eval.p90);
		csv_number(out, 1, per_instruction(r));
		csv_number(out, 1, r->index.median);
		csv_number(out, r->cold.valid, r->cold.median);
		csv_number(out, r->warm.valid, r->warm.median);
		csv_number(out, r->cold.valid, r->parts.base64url.median);
		csv_number(out, r->cold.valid, r->parts.signature.median);
		csv_number(out, r->cold.valid, r->parts.index.median);
		csv_number(out, r->cold.valid, r->parts.eval.median);
		fprintf(out, ",,,\n");
	}
	const bench_peers *peers = report->peers;
	if (peers == NULL || report->count == 0)
		return;
	const bench_result *first = &report->results[0];
	if (peers->floor_valid) {
		fprintf(out, "floor,\"rsa_verify\",\"OpenSSL EVP_PKEY_verify, RSA-2048 PKCS#1 v1.5\"%s",
		        CSV_EMPTY_4_TO_22);
		csv_number(out, 1, peers->rsa_verify.median);
		fprintf(out, ",,\n");
		fprintf(out, "floor,\"sha256_signing_input\",\"OpenSSL SHA-256 of the signing input\"%s",
		        CSV_EMPTY_4_TO_22);
		csv_number(out, 1, peers->sha256.median);
		fprintf(out, ",,\n");
	}
	for (size_t i = 0; i < peers->count; i++) {
		const bench_peer *p = &peers->items[i];
		double skr = bench_skr_ns_for(first, p->work);
		fprintf(out, "peer,");
		csv_text(out, p->name);
		fputc(',', out);
		csv_text(out, p->what);
		fprintf(out, ",%s%s", peer_decision_name(p), CSV_EMPTY_5_TO_22);
		csv_number(out, 1, p->stats.median);
		csv_number(out, skr > 0, skr);
		csv_number(out, skr > 0, skr > 0 ? p->stats.median / skr : 0);
		fputc('\n', out);
	}
}

/* ---- JSON ---- */

static void json_number(FILE *out, int valid, double value)
{
	if (!valid) {
		fputs("null", out);
		return;
	}
	put_ns(out, value);
}

static void json_stats(FILE *out, const char *name, const bench_stats *s)
{
	fprintf(out, "\"%s\": ", name);
	json_number(out, s->valid, s->median);
}

static void json_spread(FILE *out, const char *name, const bench_stats *s)
{
	fprintf(out, "\"%s\": ", name);
	if (!s->valid) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"p10\": ");
	put_ns(out, s->p10);
	fprintf(out, ", \"p90\": ");
	put_ns(out, s->p90);
	fprintf(out, ", \"min\": ");
	put_ns(out, s->min);
	fprintf(out, ", \"max\": ");
	put_ns(out, s->max);
	fprintf(out, ", \"rounds\": %u, \"calls_per_round\": %llu}", s->rounds,
	        (unsigned long long)s->calls);
}

static void json_cold_parts(FILE *out, const bench_result *r)
{
	fputs("\"cold_parts_ns\": ", out);
	if (!r->cold.valid) {
		fputs("null", out);
		return;
	}
	const bench_cold_parts *p = &r->parts;
	fputs("{", out);
	json_stats(out, "base64url", &p->base64url);
	fputs(", ", out);
	json_stats(out, "signature", &p->signature);
	fputs(", ", out);
	json_stats(out, "index", &p->index);
	fputs(", ", out);
	json_stats(out, "eval", &p->eval);
	fputs(", ", out);
	json_stats(out, "header", &p->header);
	fputs(", ", out);
	json_stats(out, "signature_sha256", &p->sha256);
	fputs(", \"rest\": ", out);
	put_ns(out, p->rest);
	fputs("}", out);
}

static void json_result(FILE *out, const bench_result *r, const bench_peers *peers)
{
	fputs("    {\"policy\": ", out);
	cli_json_string(out, r->workload->name, strlen(r->workload->name));
	fprintf(out, ", \"decision\": \"%s\", \"reason\": \"%s\",\n", decision_name(r),
	        r->decision.reason ? r->decision.reason : "");
	fprintf(out, "     \"instructions\": %u, \"claim_loads\": %u, \"longest_path\": %u, "
	        "\"bytecode_bytes\": %u, \"entries\": %u, \"conditions\": %u,\n",
	        r->cost.instructions, r->cost.claim_loads, r->cost.longest_path,
	        r->cost.bytecode_bytes, r->cost.entries, r->cost.conditions);
	fprintf(out, "     \"predicted_instructions\": %u, \"predicted_claim_loads\": %u, "
	        "\"executed_instructions\": %u, \"executed_claim_loads\": %u, "
	        "\"executed_conditions\": %u,\n", r->issuer_cost.instructions,
	        r->issuer_cost.claim_loads, r->run.instructions, r->run.claim_loads,
	        r->run.conditions);
	fputs("     ", out);
	json_stats(out, "eval_ns", &r->eval);
	fputs(", \"eval_ns_per_instruction\": ", out);
	json_number(out, r->run.instructions > 0, per_instruction(r));
	fputs(", ", out);
	json_spread(out, "eval_spread", &r->eval);
	fputs(",\n     ", out);
	json_stats(out, "index_ns", &r->index);
	fputs(", ", out);
	json_spread(out, "index_spread", &r->index);
	fputs(",\n     ", out);
	json_stats(out, "cold_ns", &r->cold);
	fputs(", ", out);
	json_spread(out, "cold_spread", &r->cold);
	fputs(",\n     ", out);
	json_stats(out, "warm_ns", &r->warm);
	fprintf(out, ", \"warm_cached\": %s, ", r->warm_cached ? "true" : "false");
	json_spread(out, "warm_spread", &r->warm);
	fputs(",\n     ", out);
	json_stats(out, "release_ns", &r->release);
	fputs(", ", out);
	json_stats(out, "batch_ns", &r->batch);
	fprintf(out, ", \"batch_programs\": %u", BENCH_BATCH_PROGRAMS);
	fputs(",\n     ", out);
	json_cold_parts(out, r);
	fputs(",\n     \"cold_to_floor\": ", out);
	int floor_valid = peers != NULL && peers->floor_valid && r->cold.valid && floor_ns(peers) > 0;
	json_number(out, floor_valid, floor_valid ? r->cold.median / floor_ns(peers) : 0);
	fputs(", \"threads\": ", out);
	if (r->threads > 1) {
		fprintf(out, "{\"count\": %u, ", r->threads);
		json_stats(out, "eval_ns_wall", &r->eval_threads);
		fputs(", \"speedup\": ", out);
		json_number(out, r->eval_threads.median > 0, r->eval.median / r->eval_threads.median);
		fputs(", \"scaling\": [", out);
		const bench_scaling *sc = &r->scaling;
		for (uint32_t c = 0; c < sc->count; c++) {
			fprintf(out, "%s{\"threads\": %u", c ? ", " : "", sc->threads[c]);
			for (uint32_t k = 0; k < BENCH_THREADS_KINDS; k++) {
				const bench_stats *st = &sc->wall[k][c];
				const bench_stats *one = &sc->wall[k][0];
				int valid = st->valid && st->median > 0 && one->median > 0;
				fprintf(out, ", \"%s_ns_wall\": ", thread_work_names[k]);
				json_number(out, valid, st->median);
				fprintf(out, ", \"%s_per_second\": ", thread_work_names[k]);
				json_number(out, valid, valid ? 1e9 / st->median : 0);
				fprintf(out, ", \"%s_linear_share\": ", thread_work_names[k]);
				json_number(out, valid, valid ? one->median / (st->median * sc->threads[c]) : 0);
			}
			fputs("}", out);
		}
		fputs("]}", out);
	} else {
		fputs("null", out);
	}
	fputs("}", out);
}

static void json_peers(FILE *out, const bench_report *report)
{
	const bench_peers *peers = report->peers;
	fputs("  \"peers\": [", out);
	for (size_t i = 0; peers != NULL && report->count > 0 && i < peers->count; i++) {
		const bench_peer *p = &peers->items[i];
		double skr = bench_skr_ns_for(&report->results[0], p->work);
		fputs(i ? ",\n    {" : "\n    {", out);
		fputs("\"name\": ", out);
		cli_json_string(out, p->name, strlen(p->name));
		fputs(", \"version\": ", out);
		cli_json_string(out, p->version, strlen(p->version));
		fputs(", \"what\": ", out);
		cli_json_string(out, p->what, strlen(p->what));
		fputs(",\n     ", out);
		json_stats(out, "ns", &p->stats);
		fputs(", \"ratio_to_skr\": ", out);
		json_number(out, skr > 0 && p->stats.valid, skr > 0 ? p->stats.median / skr : 0);
		fprintf(out, ", \"compared_with\": \"%s\", \"skr_ns\": ", bench_work_name(p->work));
		json_number(out, skr > 0, skr);
		fputs(", \"decision\": ", out);
		if (p->decision < 0)
			fputs("null", out);
		else
			fprintf(out, "\"%s\"", peer_decision_name(p));
		fputs(", ", out);
		json_spread(out, "spread", &p->stats);
		fputs("}", out);
	}
	fputs(peers != NULL && peers->count > 0 ? "\n  ],\n" : "],\n", out);
	fputs("  \"notes\": [", out);
	for (size_t i = 0; peers != NULL && i < peers->note_count; i++) {
		fputs(i ? ", " : "", out);
		cli_json_string(out, peers->notes[i], strlen(peers->notes[i]));
	}
	fputs("]\n", out);
}

void bench_report_json(FILE *out, const bench_report *report)
{
	const bench_machine *m = report->machine;
	const bench_peers *peers = report->peers;
	fprintf(out, "{\n  \"skr_version\": \"%s\",\n", skr_version());
	fputs("  \"machine\": {\"cpu\": ", out);
	cli_json_string(out, m->cpu, strlen(m->cpu));
	fprintf(out, ", \"cores\": %ld, \"memory_gib\": %.1f, \"compiler\": ", m->cores,
	        m->memory_gib);
	cli_json_string(out, m->compiler, strlen(m->compiler));
	fprintf(out, ", \"optimized\": %s", m->optimized ? "true" : "false");
	fprintf(out, ",\n              \"load_average_before\": [%.2f, %.2f, %.2f], "
	        "\"load_average_after\": [%.2f, %.2f, %.2f]},\n", m->load_before[0],
	        m->load_before[1], m->load_before[2], m->load_after[0], m->load_after[1],
	        m->load_after[2]);
	fprintf(out, "  \"method\": {\"statistic\": \"median\", \"rounds\": %u, "
	        "\"min_round_ms\": %.1f, \"quick\": %s},\n", report->config->rounds,
	        report->config->round_ns / 1e6, report->config->quick ? "true" : "false");

	fputs("  \"floor\": ", out);
	if (peers != NULL && peers->floor_valid) {
		fputs("{", out);
		json_stats(out, "rsa_verify_ns", &peers->rsa_verify);
		fputs(", ", out);
		json_stats(out, "sha256_signing_input_ns", &peers->sha256);
		fputs(", \"total_ns\": ", out);
		put_ns(out, floor_ns(peers));
		fputs(", \"library\": ", out);
		cli_json_string(out, peers->floor_version, strlen(peers->floor_version));
		fputs("},\n", out);
	} else {
		fputs("null,\n", out);
	}

	fputs("  \"results\": [\n", out);
	for (size_t i = 0; i < report->count; i++) {
		json_result(out, &report->results[i], peers);
		fputs(i + 1 < report->count ? ",\n" : "\n", out);
	}
	fputs("  ],\n", out);
	json_peers(out, report);
	fputs("}\n", out);
}
