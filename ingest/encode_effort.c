/* SPDX-License-Identifier: MIT */
/* --effort: the speed/quality trade-off of lossy imports as encoder, preset, depth and crf (bench/frontier.sh). */
#include <errno.h>
#include <string.h>

#include "base/format.h"
#include "codec/video.h"
#include "ingest/encode_effort.h"

/* One effort level; the figures that chose them are in bench/RESULTS.md
 * (sh bench/frontier.sh). */
struct effort {
	const char *name;
	int svt;                /* 1: lossy planes go to SVT-AV1, gray */
	const char *svt_preset; /* SVT-AV1's preset, 0 (slowest) to 13 */
	int svt_crf;            /* its default crf: about the bits per value
				   of x265 at IMPORT_DEFAULT_CRF */
	const char *x265_preset;        /* where x265 encodes instead (a
					   depth or crf SVT-AV1 lacks);
					   NULL: cubefs's tuned slow */
};

static const struct effort efforts[] = {
	[IMPORT_EFFORT_DEFAULT] = { "default", 1, "6", 12, NULL },
	[IMPORT_EFFORT_FAST] = { "fast", 1, "8", 12, "slow" },
	/* SVT-AV1 preset 4 was 1 dB better still, but an encoder of preset
	 * 6 opened after one of preset 4 in the same process hangs in
	 * libsvtav1 1.4 (a mount re-encoding both): x265 until that is fixed */
	[IMPORT_EFFORT_BEST] = { "best", 0, NULL, 0, NULL },
};

#define NEFFORTS (int)(sizeof(efforts) / sizeof(efforts[0]))

const char *encode_effort_name(int effort)
{
	return effort >= 0 && effort < NEFFORTS ? efforts[effort].name : "?";
}

int encode_effort_parse(const char *name, int *effort)
{
	for (int i = 0; name && i < NEFFORTS; i++)
		if (!strcmp(name, efforts[i].name)) {
			*effort = i;
			return 0;
		}
	return -EINVAL;
}

void encode_effort_choose(const struct import_opts *o, int planes,
			  struct encode_choice *c)
{
	const struct effort *e = &efforts[o->effort >= 0 &&
					  o->effort < NEFFORTS ?
					  o->effort : IMPORT_EFFORT_DEFAULT];
	int crf_set = o->crf != IMPORT_CRF_UNSET;
	struct codec_params svt = {
		.codec = CODEC_SVTAV1, .bits = 10, .planes = 1,
		.width = 64, .height = 64,
	};

	c->codec = o->codec ? o->codec : CODEC_X265;
	c->bits = o->bits ? o->bits : IMPORT_DEFAULT_BITS;
	c->crf = crf_set ? o->crf : IMPORT_DEFAULT_CRF;
	c->preset = o->preset;
	/* --codec x265 alone keeps the tuned x265 (effort best) unless
	 * --effort fast asks for speed */
	if (o->codec || o->preset) {
		if (c->codec == CODEC_X265 && !o->preset &&
		    o->effort == IMPORT_EFFORT_FAST)
			c->preset = e->x265_preset;
		return;
	}
	if (e->svt && planes == 1 && (!o->bits || o->bits <= 10) &&
	    (!crf_set || o->crf >= 0)) {
		svt.bits = o->bits ? o->bits : 10;
		/* a libavcodec without libsvtav1 keeps to x265 */
		if (!codec_video_check(&svt)) {
			c->codec = CODEC_SVTAV1;
			c->bits = svt.bits;
			c->crf = crf_set ? o->crf : e->svt_crf;
			c->preset = e->svt_preset;
			return;
		}
	}
	c->preset = e->x265_preset;
}
