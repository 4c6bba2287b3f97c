/* SPDX-License-Identifier: MIT */
/* Display order and references of a GOP's packets, and which packets a decode of some of its frames sends. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#include "codec/video_priv.h"

/* HEVC NAL unit types (H.265 table 7-1) that matter here. */
enum {
	NAL_RSV_VCL_N14 = 14,   /* 0 to 14: trailing and leading pictures,
				   even types not referred to (_N) */
	NAL_RADL_N = 6,         /* 6 to 9: leading pictures */
	NAL_RASL_R = 9,
	NAL_IDR_W_RADL = 19,
	NAL_IDR_N_LP = 20,
	NAL_VCL_END = 32,       /* 32 and up: parameter sets, SEI, ... */
};

/* What the NAL headers of one packet say about its picture. */
struct nals {
	int type;               /* of its slices, -1: none yet */
	int pictures;           /* slices that start a picture */
};

/*
 * Reads the NAL unit headers of one Annex B packet. Returns 0, or
 * -ENOTSUP for what this does not plainly know: temporal sub-layers
 * (where _N pictures may still be referred to from higher ones), layers,
 * leading or reserved pictures, slices of mixed types.
 */
static int scan_nals(const uint8_t *d, size_t n, struct nals *s)
{
	for (size_t k = 0; k + 5 < n; k++) {
		int type, layer, tid;

		if (d[k] || d[k + 1] || d[k + 2] != 1)
			continue;
		type = (d[k + 3] >> 1) & 0x3f;
		layer = ((d[k + 3] & 1) << 5) | (d[k + 4] >> 3);
		tid = (d[k + 4] & 7) - 1;
		k += 4;
		if (type >= NAL_VCL_END)
			continue;
		if (layer || tid ||
		    (type >= NAL_RADL_N && type <= NAL_RASL_R) ||
		    (type > NAL_RSV_VCL_N14 && type < NAL_IDR_W_RADL) ||
		    type > NAL_IDR_N_LP || (s->type >= 0 && s->type != type))
			return -ENOTSUP;
		s->type = type;
		/* first_slice_segment_in_pic_flag: the slice header's first
		 * bit (no emulation prevention byte can come before it) */
		if (d[k + 1] & 0x80)
			s->pictures++;
	}
	return 0;
}

int video_order(enum AVCodecID id, const uint8_t *data, size_t extra_size,
		const uint32_t *pkt_sizes, int npkt, int nframes,
		struct video_pic *pics)
{
	AVCodecParserContext *pc = NULL;
	AVCodecContext *c = NULL;
	uint8_t *seen = NULL, *pad = NULL;
	size_t off = extra_size, most = extra_size;
	int rc = 0;

	/* HEVC's parser reads each picture's order count from its slice
	 * header; one picture a packet, the first an IDR (order count 0) */
	if (id != AV_CODEC_ID_HEVC || npkt != nframes || nframes < 1)
		return -ENOTSUP;
	pc = av_parser_init(AV_CODEC_ID_HEVC);
	c = avcodec_alloc_context3(NULL);
	seen = calloc((size_t)nframes, 1);
	/* the parser reads past the end of what it is given: each packet
	 * goes to it from a copy followed by libav's zeroed padding */
	for (int i = 0; i < npkt; i++)
		if (pkt_sizes[i] > most)
			most = pkt_sizes[i];
	pad = calloc(most + AV_INPUT_BUFFER_PADDING_SIZE, 1);
	if (!pc || !c || !seen || !pad) {
		rc = pc ? -ENOMEM : -ENOTSUP;
		goto out;
	}
	pc->flags |= PARSER_FLAG_COMPLETE_FRAMES;
	for (int i = -1; !rc && i < npkt; i++) {
		const uint8_t *d = i < 0 ? data : data + off;
		size_t n = i < 0 ? extra_size : pkt_sizes[i];
		struct nals s = { .type = -1 };
		uint8_t *out;
		int outn, pos;

		if (i >= 0)
			off += n;
		if (!n)
			continue;
		pc->output_picture_number = -1;
		memcpy(pad, d, n);
		memset(pad + n, 0, AV_INPUT_BUFFER_PADDING_SIZE);
		av_parser_parse2(pc, c, &out, &outn, pad, (int)n,
				 AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
		if (i < 0)      /* extradata: parameter sets only */
			continue;
		rc = scan_nals(d, n, &s);
		pos = pc->output_picture_number;
		if (!rc && (s.pictures != 1 || pos < 0 || pos >= nframes ||
			    seen[pos] ||
			    (i == 0) != (s.type == NAL_IDR_W_RADL ||
					 s.type == NAL_IDR_N_LP)))
			rc = -ENOTSUP;
		if (rc)
			break;
		seen[pos] = 1;
		pics[i].pos = pos;
		pics[i].ref = s.type > NAL_RSV_VCL_N14 || (s.type & 1);
	}
out:
	free(seen);
	free(pad);
	avcodec_free_context(&c);
	av_parser_close(pc);
	return rc;
}

int video_range_plan(const struct video_pic *pics, int npkt, int first,
		     int last, uint8_t *send)
{
	int end = 0;

	for (int i = 0; i < npkt; i++)
		if (pics[i].pos >= first && pics[i].pos < last)
			end = i + 1;
	for (int i = 0; i < npkt; i++)
		send[i] = i < end && (pics[i].ref || (pics[i].pos >= first &&
						      pics[i].pos < last));
	return end;
}
