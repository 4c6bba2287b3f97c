/* SPDX-License-Identifier: MIT */
/* The numbers a store keeps in its catalog rows, named once for every layer. */
#ifndef CUBEFS_BASE_FORMAT_H
#define CUBEFS_BASE_FORMAT_H

/*
 * Every value below is written to catalog.db and read back by any later
 * version: never renumber, only add. No library header is needed to use
 * them (no libav, no SQLite, no netcdf.h).
 */

/* Element type of a variable (variable.dtype, extent.dtype). */
enum dtype {
	DTYPE_NONE = 0,
	DTYPE_I8 = 1,
	DTYPE_U8 = 2,
	DTYPE_I16 = 3,
	DTYPE_U16 = 4,
	DTYPE_I32 = 5,
	DTYPE_U32 = 6,
	DTYPE_I64 = 7,
	DTYPE_U64 = 8,
	DTYPE_F32 = 9,
	DTYPE_F64 = 10,
	DTYPE_COUNT
};

/* How a stream's GOPs are encoded (stream.codec). */
enum codec_id {
	CODEC_NONE = 0,
	CODEC_X265 = 1,     /* "x265", libx265 */
	CODEC_X264 = 2,     /* "x264", libx264 */
	CODEC_VP9 = 3,      /* "vp9", libvpx-vp9 */
	CODEC_AV1 = 4,      /* "av1", libaom-av1 */
	CODEC_FFV1 = 5,     /* "ffv1", always lossless */
	CODEC_LZ4 = 6,      /* "lz4": raw element bytes, not a video codec */
	CODEC_SVTAV1 = 7,   /* "svtav1", libsvtav1: AV1 decoded as CODEC_AV1 */
};

/*
 * NetCDF external types (attribute.type, variable.nctype), with the
 * values of netcdf.h's nc_type, which are part of the NetCDF file formats;
 * ingest/source_netcdf.c asserts that they agree. NCT_STRING is never
 * stored (such text is imported as NCT_CHAR); it is named for listings.
 */
enum nc_xtype {
	NCT_NONE = 0,       /* variable.nctype: no NetCDF source */
	NCT_BYTE = 1,
	NCT_CHAR = 2,       /* text, stored as DTYPE_U8 */
	NCT_SHORT = 3,
	NCT_INT = 4,
	NCT_FLOAT = 5,
	NCT_DOUBLE = 6,
	NCT_UBYTE = 7,
	NCT_USHORT = 8,
	NCT_UINT = 9,
	NCT_INT64 = 10,
	NCT_UINT64 = 11,
	NCT_STRING = 12,
};

/* How a variable's values are kept (variable.storage). */
enum var_store { VAR_STORE_VIDEO = 1, VAR_STORE_LZ4 = 2 };

/* var_fidelity.role (schema version 6): why a variable is stored as it is. */
enum var_role {
	VAR_ROLE_DATA = 0,          /* values, lossy unless asked otherwise */
	VAR_ROLE_COORD = 1,         /* coordinate, bounds, grid mapping: exact */
	VAR_ROLE_CATEGORY = 2,      /* flags, classes, masks: exact */
};

/* What fills a byte range of a view (extent.kind). */
enum extent_kind { EXTENT_BYTES = 1, EXTENT_VAR = 2, EXTENT_ZERO = 3 };

/* The file format of a view (view.kind). */
enum view_kind { VIEW_NPY = 1, VIEW_NC = 2 };

/*
 * Quantization of one plane of one GOP (a quant row): value = offset +
 * sample * scale; min and max of the unmasked source values. Named for
 * codec/quant.h, which fits and applies it; defined here because catalog
 * rows hold it too.
 */
struct codec_quant {
	double scale;
	double offset;
	double min;
	double max;
};

#endif
