/* SPDX-License-Identifier: MIT */
/* Values of an exactly stored variable read back from its packs, for an append that rewrites it whole. */
#include <errno.h>
#include <stdlib.h>

#include <zlib.h>

#include "base/log.h"
#include "catalog/pack.h"
#include "codec/gop.h"
#include "ingest/stored.h"

/* Reads and decodes one lz4 GOP of v into dst (its frames' place). */
static int read_gop(struct catalog *c, struct pack_reader *r,
		    const struct cat_var *v, const struct cat_gop *g,
		    uint8_t *dst)
{
	char name[256];
	struct codec_params cp = { .codec = CODEC_LZ4,
				   .planes = (int)v->nplanes,
				   .width = (int)v->width,
				   .height = (int)v->height };
	struct codec_gop_ref ref = { .size = g->length,
				     .nframes = (int)g->nframes };
	size_t fb = (size_t)(v->nplanes * v->height * v->width) *
		dtype_size(v->dtype);
	uint8_t *buf = malloc(g->length + 1);
	int rc = buf ? catalog_pack_name(c, g->pack_id, name, sizeof(name)) :
		-ENOMEM;

	if (!rc)
		rc = pack_reader_add(r, g->pack_id, name);
	if (!rc)
		rc = pack_pread(r, g->pack_id, buf, (size_t)g->length,
				g->offset);
	if (!rc && (uint32_t)crc32_z(0, buf, (z_size_t)g->length) !=
	    g->checksum)
		rc = -EIO;
	ref.data = buf;
	if (!rc)
		rc = codec_gop_decode(&cp, v->dtype, &ref,
				      dst + (size_t)g->first_frame * fb);
	if (rc == -EIO)
		log_error("variable '%s': stored GOP at frame %u is damaged "
			  "('cubefs check' says more)", v->name,
			  g->first_frame);
	free(buf);
	return rc;
}

int stored_read_exact(struct catalog *c, const struct cat_var *v, void *dst)
{
	struct pack_reader *r = NULL;
	int rc;

	if (v->storage != VAR_STORE_LZ4 || v->nstreams != 1)
		return -EINVAL;
	rc = pack_reader_new(catalog_dir(c), &r);
	for (uint32_t g = 0; !rc && g < v->streams[0].ngops; g++)
		rc = read_gop(c, r, v, &v->streams[0].gops[g], dst);
	pack_reader_free(r);
	return rc;
}
