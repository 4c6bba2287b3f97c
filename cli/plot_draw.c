/* SPDX-License-Identifier: MIT */
/* Drawing the quality chart with cairo: two panels sharing the frame axis, written as PNG. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>

#include "base/log.h"
#include "cli/plot.h"

enum { WIDTH = 1000, HEIGHT = 700, LEFT = 90, RIGHT = 30 };

/* A panel: where it lies on the page and the data range it shows. */
struct panel {
	double x0, y0, w, h;    /* pixels */
	double lo, hi;          /* values at the bottom and top */
};

struct axis {
	double lo, hi;          /* frames at the left and right edge */
};

static double px(const struct axis *a, const struct panel *p, double f)
{
	return p->x0 + (f - a->lo) / (a->hi - a->lo) * p->w;
}

static double py(const struct panel *p, double v)
{
	return p->y0 + p->h - (v - p->lo) / (p->hi - p->lo) * p->h;
}

/* A step of 1, 2 or 5 times a power of ten giving about n ticks. */
static double tick_step(double lo, double hi, int n)
{
	double raw = (hi - lo) / n, mag, norm;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	norm = raw / mag;
	return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

static void text(cairo_t *cr, double x, double y, double size,
		 double align, const char *s)
{
	cairo_text_extents_t e;

	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - align * (e.width + e.x_bearing), y);
	cairo_show_text(cr, s);
}

/* Frame ticks and labels under a panel, grid lines across it. */
static void frame_ticks(cairo_t *cr, const struct axis *a,
			const struct panel *p, int labels)
{
	double step = tick_step(a->lo, a->hi, 10);
	char buf[32];

	step = step < 1 ? 1 : step;
	for (double f = ceil(a->lo / step) * step; f <= a->hi; f += step) {
		double x = px(a, p, f);

		cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
		cairo_move_to(cr, x, p->y0);
		cairo_line_to(cr, x, p->y0 + p->h);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_move_to(cr, x, p->y0 + p->h);
		cairo_line_to(cr, x, p->y0 + p->h + 5);
		cairo_stroke(cr);
		if (labels) {
			snprintf(buf, sizeof(buf), "%.0f", f + 0.0);
			text(cr, x, p->y0 + p->h + 18, 12, 0.5, buf);
		}
	}
}

/* Value ticks and labels left of a panel (none when it shows no values),
 * grid lines across it, its frame and its label. */
static void value_ticks(cairo_t *cr, const struct panel *p, const char *label,
			int none)
{
	double step = tick_step(p->lo, p->hi, 6);
	char buf[32];

	for (double v = ceil(p->lo / step) * step; !none &&
	     v <= p->hi + step * 1e-9; v += step) {
		double y = py(p, v);

		cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
		cairo_move_to(cr, p->x0, y);
		cairo_line_to(cr, p->x0 + p->w, y);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_move_to(cr, p->x0 - 5, y);
		cairo_line_to(cr, p->x0, y);
		cairo_stroke(cr);
		snprintf(buf, sizeof(buf), "%.4g",
			 fabs(v) < step * 1e-6 ? 0 : v);
		text(cr, p->x0 - 8, y + 4, 12, 1, buf);
	}
	cairo_save(cr);
	cairo_translate(cr, 22, p->y0 + p->h / 2);
	cairo_rotate(cr, -M_PI / 2);
	text(cr, 0, 0, 14, 0.5, label);
	cairo_restore(cr);
	cairo_rectangle(cr, p->x0, p->y0, p->w, p->h);
	cairo_stroke(cr);
}

/* Draws v (finite values only; gaps break the line) in the panel. */
static void series(cairo_t *cr, const struct axis *a, const struct panel *p,
		   const double *v, uint64_t n)
{
	int down = 0;

	cairo_save(cr);
	cairo_rectangle(cr, p->x0, p->y0, p->w, p->h);
	cairo_clip(cr);
	cairo_set_line_width(cr, 1.5);
	for (uint64_t f = 0; f < n; f++) {
		if (!isfinite(v[f])) {
			down = 0;
			continue;
		}
		if (down)
			cairo_line_to(cr, px(a, p, (double)f), py(p, v[f]));
		else
			cairo_move_to(cr, px(a, p, (double)f), py(p, v[f]));
		down = 1;
	}
	cairo_stroke(cr);
	for (uint64_t f = 0; n <= 200 && f < n; f++) {
		if (!isfinite(v[f]))
			continue;
		cairo_arc(cr, px(a, p, (double)f), py(p, v[f]), 2.5, 0,
			  2 * M_PI);
		cairo_fill(cr);
	}
	cairo_restore(cr);
}

/* Range of the finite values of v, padded; [0, 1] if there are none. */
static void fit(const double *v, uint64_t n, int from_zero, struct panel *p)
{
	double lo = INFINITY, hi = -INFINITY, pad;

	for (uint64_t f = 0; f < n; f++) {
		if (!isfinite(v[f]))
			continue;
		lo = v[f] < lo ? v[f] : lo;
		hi = v[f] > hi ? v[f] : hi;
	}
	if (lo > hi) {
		lo = 0;
		hi = 1;
	}
	if (from_zero)
		lo = 0;
	if (hi - lo < 1e-12 * (fabs(hi) + 1)) {
		lo -= lo ? fabs(lo) * 0.05 : (from_zero ? 0 : 1);
		hi += hi ? fabs(hi) * 0.05 : 1;
	}
	pad = (hi - lo) * 0.08;
	p->lo = from_zero ? lo : lo - pad;
	p->hi = hi + pad;
}

/*
 * Fits the panel to v, draws its ticks, grid, frame and label; for an
 * exact variable writes `exact` across it instead of values. Returns 1
 * when there is nothing more to draw in it.
 */
static int panel_begin(cairo_t *cr, const struct plot_chart *ch,
		       const struct axis *a, struct panel *p, const double *v,
		       int bottom, const char *label, const char *exact)
{
	fit(v, ch->nframes, bottom, p);
	frame_ticks(cr, a, p, bottom);
	value_ticks(cr, p, label, ch->exact);
	if (ch->exact)
		text(cr, p->x0 + p->w / 2, p->y0 + p->h / 2, 18, 0.5, exact);
	return ch->exact;
}

static void draw_psnr(cairo_t *cr, const struct plot_chart *ch,
		      const struct axis *a, struct panel *p)
{
	uint64_t exact = 0;
	char buf[96];

	if (panel_begin(cr, ch, a, p, ch->psnr, 0, "PSNR (dB)",
			"exact: stored losslessly, PSNR is infinite"))
		return;
	if (isfinite(ch->psnr_all)) {
		double dash = 6;

		cairo_save(cr);
		cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
		cairo_set_dash(cr, &dash, 1, 0);
		cairo_move_to(cr, p->x0, py(p, ch->psnr_all));
		cairo_line_to(cr, p->x0 + p->w, py(p, ch->psnr_all));
		cairo_stroke(cr);
		/* the key, above the panel's right corner */
		snprintf(buf, sizeof(buf), "all frames: %.2f dB", ch->psnr_all);
		text(cr, p->x0 + p->w, p->y0 - 6, 12, 1, buf);
		cairo_move_to(cr, p->x0 + p->w - 175, p->y0 - 10);
		cairo_line_to(cr, p->x0 + p->w - 145, p->y0 - 10);
		cairo_stroke(cr);
		cairo_restore(cr);
	}
	cairo_set_source_rgb(cr, 0.12, 0.35, 0.7);
	series(cr, a, p, ch->psnr, ch->nframes);
	/* exact frames of a lossy variable: marks on the top edge */
	cairo_set_source_rgb(cr, 0.1, 0.55, 0.2);
	for (uint64_t f = 0; f < ch->nframes; f++) {
		double x = px(a, p, (double)f);

		if (!isinf(ch->psnr[f]))
			continue;
		exact++;
		cairo_move_to(cr, x, p->y0 + 2);
		cairo_line_to(cr, x - 4, p->y0 + 9);
		cairo_line_to(cr, x + 4, p->y0 + 9);
		cairo_close_path(cr);
		cairo_fill(cr);
	}
	if (exact) {
		snprintf(buf, sizeof(buf), "%llu exact frame%s marked at the "
			 "top", (unsigned long long)exact, exact == 1 ? "" : "s");
		text(cr, p->x0, p->y0 - 6, 12, 0, buf);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
}

static void draw_error(cairo_t *cr, const struct plot_chart *ch,
		       const struct axis *a, struct panel *p)
{
	char buf[64];

	if (!panel_begin(cr, ch, a, p, ch->max_err, 1, "max abs error",
			 "exact: no error in any frame")) {
		cairo_set_source_rgb(cr, 0.75, 0.2, 0.1);
		series(cr, a, p, ch->max_err, ch->nframes);
		cairo_set_source_rgb(cr, 0, 0, 0);
	}
	snprintf(buf, sizeof(buf), "frame (%s)",
		 ch->frame_axis ? ch->frame_axis : "first axis");
	text(cr, p->x0 + p->w / 2, p->y0 + p->h + 38, 14, 0.5, buf);
}

/* cairo's PNG writer's output: the file, and the errno of a failure. */
struct out {
	FILE *f;
	int err;
};

static cairo_status_t write_file(void *arg, const unsigned char *data,
				 unsigned int len)
{
	struct out *o = arg;

	if (fwrite(data, 1, len, o->f) == len)
		return CAIRO_STATUS_SUCCESS;
	o->err = errno ? errno : EIO;
	return CAIRO_STATUS_WRITE_ERROR;
}

int plot_png(const struct plot_chart *ch, const char *path)
{
	cairo_surface_t *s;
	cairo_t *cr;
	struct axis a = { -0.5, ch->nframes ? (double)ch->nframes - 0.5 : 0.5 };
	struct panel top = { LEFT, 70, WIDTH - LEFT - RIGHT, 270, 0, 1 };
	struct panel bottom = { LEFT, 370, WIDTH - LEFT - RIGHT, 260, 0, 1 };
	struct out o = { 0 };
	int rc = 0, made = access(path, F_OK) != 0;

	if (ch->nframes > 1)
		a = (struct axis){ 0, (double)ch->nframes - 1 };
	o.f = fopen(path, "wb");
	if (!o.f) {
		rc = -errno;
		log_error("cannot write '%s': %s", path, strerror(errno));
		return rc;
	}
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, WIDTH, HEIGHT);
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_BOLD);
	text(cr, WIDTH / 2.0, 28, 18, 0.5, ch->title);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	text(cr, WIDTH / 2.0, 52, 13, 0.5, ch->subtitle);
	draw_psnr(cr, ch, &a, &top);
	draw_error(cr, ch, &a, &bottom);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS ||
	    cairo_surface_write_to_png_stream(s, write_file, &o) !=
	    CAIRO_STATUS_SUCCESS)
		rc = o.err ? -o.err : -EIO;
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	if (fclose(o.f) && !rc)
		rc = -errno;
	if (rc) {
		log_error("cannot write '%s': %s", path, strerror(-rc));
		if (made)       /* a half-written file of ours, nothing else */
			unlink(path);
	}
	return rc;
}
