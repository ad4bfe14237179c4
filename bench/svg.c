/*
 * A horizontal bar chart of a bench run as hand-written SVG. One panel
 * shows deciding on claims: skr's policies, and the peers that decide on
 * parsed claims or parse them in the call. The other shows releases: skr's
 * cold path, the OpenSSL floor and the peers that verify. The axis is
 * logarithmic because the figures span nanoseconds to milliseconds.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define SVG_WIDTH 960
#define SVG_LABEL_WIDTH 330
#define SVG_VALUE_WIDTH 110
#define SVG_ROW 22
#define SVG_BAR 14
#define SVG_MAX_BARS 96

enum { BAR_SKR = 0, BAR_PEER, BAR_FLOOR };

typedef struct bar {
	char label[96];
	double ns;
	int kind;
} bar;

typedef struct panel {
	const char *title;
	bar bars[SVG_MAX_BARS];
	size_t count;
} panel;

static void add_bar(panel *p, int kind, double ns, const char *fmt, const char *a, const char *b)
{
	if (p->count >= SVG_MAX_BARS || !(ns > 0))
		return;
	bar *item = &p->bars[p->count++];
	snprintf(item->label, sizeof item->label, fmt, a, b);
	item->ns = ns;
	item->kind = kind;
}

/* Writes text with the characters XML reserves escaped. */
static void put_xml(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out); break;
		}
	}
}

static const char *short_name(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash != NULL ? slash + 1 : name;
}

static void format_ns(double ns, char *out, size_t cap)
{
	if (ns < 1e3)
		snprintf(out, cap, "%.1f ns", ns);
	else if (ns < 1e6)
		snprintf(out, cap, "%.2f \xC2\xB5s", ns / 1e3);
	else
		snprintf(out, cap, "%.2f ms", ns / 1e6);
}

static void fill_panels(const bench_report *report, panel *eval, panel *release)
{
	const bench_peers *peers = report->peers;
	eval->title = "Decide on claims: already parsed (skr: already indexed), or parsed in the call";
	release->title = "Release: verify the token, then decide";
	for (size_t i = 0; i < report->count; i++) {
		const bench_result *r = &report->results[i];
		const char *name = short_name(r->workload->name);
		add_bar(eval, BAR_SKR, r->eval.median, "skr %s%s", name, "");
		/* The figure the parsing peers compare with, for the first policy. */
		if (i == 0)
			add_bar(eval, BAR_SKR, r->index.median + r->eval.median, "skr %s%s", name,
			        " (index + decide)");
		if (r->cold.valid)
			add_bar(release, BAR_SKR, r->cold.median, "skr %s%s", name, " (cold)");
	}
	if (peers == NULL)
		return;
	if (peers->floor_valid)
		add_bar(release, BAR_FLOOR, peers->rsa_verify.median + peers->sha256.median, "%s%s",
		        "floor: OpenSSL RSA-2048 verify + SHA-256", "");
	for (size_t i = 0; i < peers->count; i++) {
		const bench_peer *p = &peers->items[i];
		switch (p->work) {
		case BENCH_WORK_EVAL:
			add_bar(eval, BAR_PEER, p->stats.median, "%s%s", p->name, "");
			break;
		case BENCH_WORK_INDEX_EVAL:
			add_bar(eval, BAR_PEER, p->stats.median, "%s%s", p->name, " + decide");
			break;
		case BENCH_WORK_COLD:
		case BENCH_WORK_VERIFY:
			add_bar(release, BAR_PEER, p->stats.median, "%s%s", p->name,
			        p->work == BENCH_WORK_VERIFY ? " (verify only)" : "");
			break;
		}
	}
}

/* Position of ns on the axis, which spans decades [low, high]. */
static double axis_x(double ns, double low, double high)
{
	double plot = SVG_WIDTH - SVG_LABEL_WIDTH - SVG_VALUE_WIDTH;
	double v = log10(ns > 0 ? ns : 1);
	if (v < low)
		v = low;
	return SVG_LABEL_WIDTH + (v - low) / (high - low) * plot;
}

static void put_panel(FILE *out, const panel *p, double *y, double low, double high)
{
	static const char *const colors[] = { "#2f6db5", "#e08a1e", "#7a7a7a" };
	fprintf(out, "<text x=\"10\" y=\"%.0f\" font-weight=\"bold\">", *y + 14);
	put_xml(out, p->title);
	fputs("</text>\n", out);
	*y += SVG_ROW + 6;

	double top = *y;
	double bottom = *y + (double)p->count * SVG_ROW;
	for (int d = (int)low; d <= (int)high; d++) {
		double x = axis_x(pow(10, d), low, high);
		char label[32];
		static const char *const units[] = { "ns", "\xC2\xB5s", "ms", "s" };
		int unit = d / 3 < 3 ? d / 3 : 3;
		snprintf(label, sizeof label, "%.0f %s", pow(10, d - unit * 3), units[unit]);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>\n",
		        x, top - 4, x, bottom);
		fprintf(out, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" fill=\"#666\" "
		        "text-anchor=\"middle\">%s</text>\n", x, bottom + 12, label);
	}
	for (size_t i = 0; i < p->count; i++) {
		const bar *b = &p->bars[i];
		double row = *y + (double)i * SVG_ROW;
		double x0 = SVG_LABEL_WIDTH;
		double x1 = axis_x(b->ns, low, high);
		char value[32];
		format_ns(b->ns, value, sizeof value);
		fprintf(out, "<text x=\"%d\" y=\"%.0f\" text-anchor=\"end\">", SVG_LABEL_WIDTH - 8,
		        row + 12);
		put_xml(out, b->label);
		fputs("</text>\n", out);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
		        x0, row + 1, x1 - x0 > 1 ? x1 - x0 : 1, SVG_BAR, colors[b->kind]);
		fprintf(out, "<text x=\"%.1f\" y=\"%.0f\">%s</text>\n", x1 + 6, row + 12, value);
	}
	*y = bottom + 30;
}

int bench_report_svg(FILE *out, const bench_report *report)
{
	panel eval, release;
	memset(&eval, 0, sizeof eval);
	memset(&release, 0, sizeof release);
	fill_panels(report, &eval, &release);

	/* One axis for both panels, whole decades around every figure. */
	double low = 9, high = 0;
	const panel *panels[2] = { &eval, &release };
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < panels[k]->count; i++) {
			double v = log10(panels[k]->bars[i].ns);
			if (floor(v) < low)
				low = floor(v);
			if (ceil(v) > high)
				high = ceil(v);
		}
	}
	if (high <= low)
		high = low + 1;

	double height = 70;
	for (int k = 0; k < 2; k++)
		height += panels[k]->count > 0 ? (double)panels[k]->count * SVG_ROW + 64 : 0;
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
	        "font-family=\"sans-serif\" font-size=\"12\">\n", SVG_WIDTH, height);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(out, "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">skr bench: "
	        "median time per decision (log scale; shorter is faster)</text>\n");
	const bench_machine *m = report->machine;
	fputs("<text x=\"10\" y=\"38\" font-size=\"11\" fill=\"#555\">", out);
	put_xml(out, m->cpu);
	fprintf(out, ", %ld cores; median of %u rounds of at least %.0f ms; load average %.2f "
	        "at the start. Blue: skr; orange: peers; grey: the OpenSSL floor.</text>\n",
	        m->cores, report->config->rounds, report->config->round_ns / 1e6, m->load_before[0]);

	double y = 56;
	for (int k = 0; k < 2; k++) {
		if (panels[k]->count > 0)
			put_panel(out, panels[k], &y, low, high);
	}
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}
