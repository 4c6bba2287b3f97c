/* SPDX-License-Identifier: MIT */
/* What the catalog and gc tests share: a hand-built dataset whose GOPs and mask lie at known places of a pack. */
#include <stdlib.h>
#include <string.h>

#include "tests/catalog_fixture.h"

struct cat_dataset *make_ds(const char *name, int64_t pack, uint64_t stride)
{
	struct cat_dataset *ds = calloc(1, sizeof(*ds));
	struct cat_var *v;
	static const uint64_t shape[] = { 5, 2, 3, 4 };

	ds->name = strdup(name);
	ds->source = strdup("/nowhere/x.npy");
	ds->created = ds->mtime = 1234567890123456789LL;
	ds->ndims = 1;
	ds->dims = calloc(1, sizeof(*ds->dims));
	ds->dims[0].name = strdup("time");
	ds->dims[0].len = 5;
	ds->dims[0].unlimited = 1;
	ds->nattrs = 1;
	ds->attrs = calloc(1, sizeof(*ds->attrs));
	ds->attrs[0].name = strdup("title");
	ds->attrs[0].type = 2;
	ds->attrs[0].len = 5;
	ds->attrs[0].data = strdup("hello");
	ds->nvars = 1;
	ds->vars = v = calloc(1, sizeof(*v));
	v->name = strdup("x");
	v->dtype = DTYPE_F32;
	v->ndim = 4;
	v->shape = malloc(sizeof(shape));
	memcpy(v->shape, shape, sizeof(shape));
	v->dimids = calloc(4, sizeof(int));
	v->dimids[1] = v->dimids[2] = v->dimids[3] = -1;
	v->storage = VAR_STORE_VIDEO;
	v->nframes = 5;
	v->nplanes = 2;
	v->height = 3;
	v->width = 4;
	v->psnr = 51.5;
	v->max_err = 0.25;
	v->has_fill = 1;
	memcpy(v->fill, &(float){ 1e36f }, 4);
	v->nstreams = 2;
	v->streams = calloc(2, sizeof(*v->streams));
	for (int s = 0; s < 2; s++) {
		struct cat_stream *st = &v->streams[s];

		st->first_plane = s;
		st->nplanes = 1;
		st->codec = 1;
		st->bits = 12;
		st->width = 4;
		st->height = 3;
		st->crf = 10;
		st->gop_len = 3;
		st->ngops = 2;
		st->gops = calloc(2, sizeof(*st->gops));
		for (int g = 0; g < 2; g++) {
			struct cat_gop *gp = &st->gops[g];

			gp->first_frame = (uint32_t)g * 3;
			gp->nframes = g ? 2 : 3;
			gp->pack_id = pack;
			gp->offset = (uint64_t)(s * 2 + g) * stride;
			gp->length = 100;
			gp->npkt = 2;
			gp->pkt_sizes = malloc(8);
			gp->pkt_sizes[0] = 60;
			gp->pkt_sizes[1] = 40;
			gp->checksum = 0xdeadbeef;
			gp->quant = calloc(1, sizeof(*gp->quant));
			gp->quant[0] = (struct codec_quant){ 0.1, -3, -3, 406.5 };
		}
	}
	v->nmasks = 1;
	v->masks = calloc(1, sizeof(*v->masks));
	v->masks[0] = (struct cat_mask){ 0, 3, pack, 4 * stride, 20 };
	ds->nviews = 1;
	ds->views = calloc(1, sizeof(*ds->views));
	ds->views[0].name = strdup("x.npy");
	ds->views[0].kind = VIEW_NPY;
	ds->views[0].size = 64 + 5 * 2 * 3 * 4 * 4;
	ds->views[0].nextents = 2;
	ds->views[0].extents = calloc(2, sizeof(struct cat_extent));
	ds->views[0].extents[0] = (struct cat_extent){ .offset = 0,
		.length = 64, .kind = EXTENT_BYTES, .bytes = calloc(1, 64) };
	ds->views[0].extents[1] = (struct cat_extent){ .offset = 64,
		.length = 480, .kind = EXTENT_VAR, .var = 0 };
	return ds;
}
