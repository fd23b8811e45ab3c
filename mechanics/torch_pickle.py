"""Read a legacy (pre-zip) PyTorch checkpoint into numpy arrays, without torch.

The legacy format is: a pickled magic number, protocol version and system info;
then the state dict pickled with tensors as `torch._utils._rebuild_tensor_v2`
calls whose storages are persistent ids; then the pickled list of storage keys;
then, per key, an int64 element count followed by the raw little-endian data.
"""

import collections
import pickle
import struct

import numpy as np

from mechanics.errors import BadInput

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class _Storage:
    def __init__(self, dtype):
        self.dtype = dtype
        self.data = None


class _TensorRef:
    """A tensor whose storage bytes are read after the state dict itself."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def to_numpy(self):
        itemsize = np.dtype(self.storage.dtype).itemsize
        flat = self.storage.data
        if not self.size:
            return flat[self.offset].copy()
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset:], shape=self.size, strides=[s * itemsize for s in self.stride])
        return np.ascontiguousarray(view)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *args):
    return _TensorRef(storage, storage_offset, size, stride)


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file, storages):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in a state dict")

    def persistent_load(self, pid):
        kind, dtype, key, _location, _numel = pid[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(dtype)
        return self.storages[key]


def load_state_dict(path):
    """Return an OrderedDict name -> numpy array from a legacy torch .pth file."""
    try:
        with open(path, "rb") as f:
            if pickle.load(f) != _LEGACY_MAGIC:
                raise BadInput(f"{path}: not a legacy torch checkpoint (bad magic number)")
            pickle.load(f)  # protocol version
            pickle.load(f)  # system info
            storages = {}
            state = _StateDictUnpickler(f, storages).load()
            keys = pickle.load(f)
            for key in keys:
                (numel,) = struct.unpack("<q", f.read(8))
                storage = storages[key]
                nbytes = numel * np.dtype(storage.dtype).itemsize
                raw = f.read(nbytes)
                if len(raw) != nbytes:
                    raise BadInput(f"{path}: truncated storage {key} ({len(raw)} of {nbytes} bytes)")
                storage.data = np.frombuffer(raw, dtype=storage.dtype)
    except (pickle.UnpicklingError, EOFError, struct.error, KeyError, ValueError) as exc:
        raise BadInput(f"{path}: corrupt torch checkpoint ({exc}); reinstall the package that ships it") from exc
    return collections.OrderedDict(
        (name, value.to_numpy() if isinstance(value, _TensorRef) else value) for name, value in state.items())
