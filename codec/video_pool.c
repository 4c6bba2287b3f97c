/* SPDX-License-Identifier: MIT */
/* Idle decoders kept for the next GOP of the same stream. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>

#include "codec/video.h"
#include "codec/video_priv.h"

/* What a decoder was opened for: a GOP opened for the same decodes the
 * same on it, once flushed. */
struct idle {
	AVCodecContext *c;
	enum AVCodecID id;
	enum AVPixelFormat fmt;
	int pw, ph, threads;
	uint8_t *extra;         /* extradata it was opened with */
	size_t extra_size;
	uint64_t when;          /* the pool's clock when it went idle */
	size_t bytes;           /* what it holds, about */
};

struct codec_pool {
	pthread_mutex_t lock;
	struct idle *v;
	int max, n;
	size_t max_bytes, bytes;
	uint64_t clock;
	struct codec_pool_stats st;
};

int codec_pool_new(int max_idle, size_t max_bytes, struct codec_pool **out)
{
	struct codec_pool *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p || max_idle < 0)
		goto fail;
	p->max = max_idle;
	p->max_bytes = max_bytes;
	p->v = calloc((size_t)max_idle + 1, sizeof(*p->v));
	if (!p->v)
		goto fail;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
fail:
	free(p);
	return max_idle < 0 ? -EINVAL : -ENOMEM;
}

static void idle_free(struct idle *d)
{
	avcodec_free_context(&d->c);
	free(d->extra);
	memset(d, 0, sizeof(*d));
}

void codec_pool_free(struct codec_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		idle_free(&p->v[i]);
	free(p->v);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void codec_pool_get_stats(struct codec_pool *p, struct codec_pool_stats *s)
{
	pthread_mutex_lock(&p->lock);
	*s = p->st;
	s->idle = p->n;
	pthread_mutex_unlock(&p->lock);
}

static int fits(const struct idle *d, const struct video_layout *v,
		const uint8_t *extra, size_t extra_size)
{
	return d->id == v->be->av_id && d->fmt == v->fmt &&
		d->pw == v->pw && d->ph == v->ph &&
		d->threads == codec_dec_threads(v->threads) &&
		d->extra_size == extra_size &&
		(!extra_size || !memcmp(d->extra, extra, extra_size));
}

AVCodecContext *video_pool_take(struct codec_pool *p,
				const struct video_layout *v,
				const uint8_t *extra, size_t extra_size)
{
	AVCodecContext *c = NULL;
	int best = -1;

	if (!p)
		return NULL;
	pthread_mutex_lock(&p->lock);
	/* the one idle longest of those that fit: any would do */
	for (int i = 0; i < p->n; i++)
		if (fits(&p->v[i], v, extra, extra_size) &&
		    (best < 0 || p->v[i].when < p->v[best].when))
			best = i;
	if (best >= 0) {
		c = p->v[best].c;
		p->bytes -= p->v[best].bytes;
		free(p->v[best].extra);
		p->v[best] = p->v[--p->n];
		p->st.reused++;
	} else {
		p->st.opened++;
	}
	pthread_mutex_unlock(&p->lock);
	return c;
}

/* A decoder holds its frame pool (the pictures it refers to and
 * reorders, and one more a frame thread) and tables sized by the
 * picture: counted as four pictures plus one a thread. */
size_t video_pool_bytes(const struct video_layout *v)
{
	int frame = av_image_get_buffer_size(v->fmt, v->pw, v->ph, 1);

	if (frame <= 0)
		return SIZE_MAX;
	return (size_t)frame * (size_t)(4 + codec_dec_threads(v->threads));
}

void video_pool_give(struct codec_pool *p, AVCodecContext *c,
		     const struct video_layout *v, const uint8_t *extra,
		     size_t extra_size)
{
	struct idle d = { .c = c, .id = v->be->av_id, .fmt = v->fmt,
			  .pw = v->pw, .ph = v->ph,
			  .threads = codec_dec_threads(v->threads),
			  .extra_size = extra_size, .bytes = video_pool_bytes(v) };

	if (!c)
		return;
	if (!p || !p->max || d.bytes > p->max_bytes ||
	    (extra_size && !(d.extra = malloc(extra_size)))) {
		avcodec_free_context(&c);
		return;
	}
	if (extra_size)
		memcpy(d.extra, extra, extra_size);
	/* back to where a new stream starts: no frames held, no references;
	 * nothing it may log after this belongs to a GOP */
	avcodec_flush_buffers(c);
	c->opaque = NULL;
	pthread_mutex_lock(&p->lock);
	/* no room: the ones idle longest go (their streams are likely done
	 * with); rare, so closed under the lock */
	while (p->n >= p->max || p->bytes > p->max_bytes - d.bytes) {
		int old = 0;

		for (int i = 1; i < p->n; i++)
			if (p->v[i].when < p->v[old].when)
				old = i;
		p->bytes -= p->v[old].bytes;
		idle_free(&p->v[old]);
		p->v[old] = p->v[--p->n];
		p->st.dropped++;
	}
	d.when = ++p->clock;
	p->v[p->n++] = d;
	p->bytes += d.bytes;
	pthread_mutex_unlock(&p->lock);
}
