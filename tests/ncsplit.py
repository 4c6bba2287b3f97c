#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Splits a NetCDF file along a dimension into pieces (tests/many.sh), optionally changing them into bad inputs.
"""usage: ncsplit.py SRC DIM OUT%d [CUT...] [--grid|--double|--rename A=B|
--units V=U|--shift N|--repeat]

Writes pieces [0, CUT1), [CUT1, CUT2), ... of SRC along DIM as OUT%d, in
SRC's format, values and attributes kept exactly (packed values stay
packed), each with the global attribute history = "piece K". The options
change every piece: --grid drops the last row of the second dimension of
every variable along DIM, --double stores those variables as float64,
--rename renames variable A, --units sets V's units, --shift N adds N to
the coordinate of DIM, --repeat gives its second value the first's."""
import sys
import netCDF4
import numpy as np

args = [a for a in sys.argv[1:] if not a.startswith('--')]
opts = [a for a in sys.argv[1:] if a.startswith('--')]
src, dim, out = args[0], args[1], args[2]
cuts = [int(x) for x in args[3:]]
opt = {}
for o in opts:
    k, _, v = o[2:].partition('=')
    opt[k] = v
shift = float(opt.get('shift') or 0)

with netCDF4.Dataset(src) as s:
    s.set_auto_maskandscale(False)
    n = len(s.dimensions[dim])
    edges = [0] + cuts + [n]
    other = [d for d in s.dimensions if d != dim]
    for k in range(len(edges) - 1):
        a, b = edges[k], edges[k + 1]
        with netCDF4.Dataset(out % k, 'w', format=s.data_model) as d:
            for name, dm in s.dimensions.items():
                size = b - a if name == dim else len(dm)
                if 'grid' in opt and other and name == other[0]:
                    size -= 1
                d.createDimension(name, None if dm.isunlimited() else size)
            d.setncatts({x: s.getncattr(x) for x in s.ncattrs()})
            d.setncattr('history', 'piece %d' % k)
            for name, v in s.variables.items():
                data = v[:]
                if dim in v.dimensions:
                    sl = [slice(None)] * v.ndim
                    sl[v.dimensions.index(dim)] = slice(a, b)
                    data = data[tuple(sl)]
                if 'grid' in opt and other[0] in v.dimensions:
                    sl = [slice(None)] * v.ndim
                    sl[v.dimensions.index(other[0])] = slice(0, -1)
                    data = data[tuple(sl)]
                dtype = v.dtype
                attrs = {x: v.getncattr(x) for x in v.ncattrs()}
                if 'double' in opt and dim in v.dimensions and v.ndim >= 3:
                    dtype = np.float64
                    data = data.astype(np.float64)
                    for x in ('scale_factor', 'add_offset', '_FillValue',
                              'missing_value'):
                        attrs.pop(x, None)
                if name == dim and v.ndim == 1:
                    data = data + shift
                    if 'repeat' in opt and len(data) > 1:
                        data[1] = data[0]
                fill = attrs.pop('_FillValue', None)
                vname = name
                if 'rename' in opt and opt['rename'].split('=')[0] == name:
                    vname = opt['rename'].split('=')[1]
                w = d.createVariable(vname, dtype, v.dimensions,
                                     fill_value=fill,
                                     zlib=s.data_model == 'NETCDF4')
                w.set_auto_maskandscale(False)
                if 'units' in opt and opt['units'].split('=')[0] == name:
                    attrs['units'] = opt['units'].split('=')[1]
                w.setncatts(attrs)
                w[:] = data
