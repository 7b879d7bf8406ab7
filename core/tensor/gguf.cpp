// GGUF: "GGUF", u32 version, u64 tensor count, u64 KV count, the KV pairs, the tensor infos, zero
// padding to the alignment, the data section. A cursor reads the little-endian fields, checking
// each length against the bytes left before it is used; every refusal names the byte offset.
#include "tensor/gguf.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <string_view>

#include "quant/blockwise.hpp"
#include "util/half.hpp"

namespace qviz::core {
namespace {

constexpr std::uint64_t kMaxNameBytes = 64u << 10;  // keys and tensor names
constexpr std::uint32_t kMaxDims = 4;               // ggml's GGML_MAX_DIMS

// What each ggml type id is: its name, and for the types read here how they are stored.
enum class Kind { Unknown, Unsupported, F32, F16, BF16, Raw };
struct GgmlType {
  const char* name = nullptr;
  Kind kind = Kind::Unknown;
  const char* format = nullptr;  // Raw: the core format whose raw blocks these are
};

GgmlType ggmlType(std::uint32_t id) {
  switch (id) {
    case 0: return {"F32", Kind::F32};
    case 1: return {"F16", Kind::F16};
    case 2: return {"Q4_0", Kind::Raw, "q4_0"};
    case 3: return {"Q4_1", Kind::Raw, "q4_1"};
    case 6: return {"Q5_0", Kind::Raw, "q5_0"};
    case 7: return {"Q5_1", Kind::Raw, "q5_1"};
    case 8: return {"Q8_0", Kind::Raw, "q8_0"};
    case 9: return {"Q8_1", Kind::Unsupported};
    case 10: return {"Q2_K", Kind::Raw, "q2_k"};
    case 11: return {"Q3_K", Kind::Raw, "q3_k"};
    case 12: return {"Q4_K", Kind::Raw, "q4_k"};
    case 13: return {"Q5_K", Kind::Raw, "q5_k"};
    case 14: return {"Q6_K", Kind::Raw, "q6_k"};
    case 15: return {"Q8_K", Kind::Unsupported};
    case 16: return {"IQ2_XXS", Kind::Unsupported};
    case 17: return {"IQ2_XS", Kind::Unsupported};
    case 18: return {"IQ3_XXS", Kind::Unsupported};
    case 19: return {"IQ1_S", Kind::Unsupported};
    // Written by the ntry = 7 quantizer; dequantizes as iq4_nl (the same blocks and table).
    case 20: return {"IQ4_NL", Kind::Raw, "iq4_nl"};
    case 21: return {"IQ3_S", Kind::Unsupported};
    case 22: return {"IQ2_S", Kind::Unsupported};
    case 23: return {"IQ4_XS", Kind::Raw, "iq4_xs"};
    case 24: return {"I8", Kind::Unsupported};
    case 25: return {"I16", Kind::Unsupported};
    case 26: return {"I32", Kind::Unsupported};
    case 27: return {"I64", Kind::Unsupported};
    case 28: return {"F64", Kind::Unsupported};
    case 29: return {"IQ1_M", Kind::Unsupported};
    case 30: return {"BF16", Kind::BF16};
    case 34: return {"TQ1_0", Kind::Unsupported};
    case 35: return {"TQ2_0", Kind::Unsupported};
    case 39: return {"MXFP4", Kind::Raw, "ggml-mxfp4"};
    case 40: return {"NVFP4", Kind::Raw, "ggml-nvfp4"};
    default: return {};
  }
}

std::size_t scalarSize(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8: case GgufValueType::I8: case GgufValueType::Bool: return 1;
    case GgufValueType::U16: case GgufValueType::I16: return 2;
    case GgufValueType::U32: case GgufValueType::I32: case GgufValueType::F32: return 4;
    case GgufValueType::U64: case GgufValueType::I64: case GgufValueType::F64: return 8;
    default: return 0;  // string, array
  }
}

// The fewest bytes one value of type t takes in the file.
std::uint64_t minValueBytes(GgufValueType t) {
  if (t == GgufValueType::String) return 8;
  if (t == GgufValueType::Array) return 12;
  return scalarSize(t);
}

std::string at(std::uint64_t offset) { return " at byte " + std::to_string(offset); }

class Cursor {
public:
  Cursor(const std::uint8_t* data, std::uint64_t size) : m_data(data), m_size(size) {}
  std::uint64_t pos() const { return m_pos; }
  std::uint64_t left() const { return m_size - m_pos; }

  // Reads n little-endian bytes as an unsigned integer; `what` names the field in the message.
  bool uint(std::size_t n, std::uint64_t& out, const char* what, std::string& err) {
    if (left() < n) {
      err = std::string("the file ends inside ") + what + at(m_pos) + " (" + std::to_string(n) + " bytes needed, " +
            std::to_string(left()) + " left of " + std::to_string(m_size) + ")";
      return false;
    }
    out = 0;
    for (std::size_t k = 0; k < n; ++k) out |= std::uint64_t(m_data[m_pos + k]) << (8 * k);
    m_pos += n;
    return true;
  }
  bool u32(std::uint32_t& out, const char* what, std::string& err) {
    std::uint64_t v = 0;
    if (!uint(4, v, what, err)) return false;
    out = std::uint32_t(v);
    return true;
  }
  bool u64(std::uint64_t& out, const char* what, std::string& err) { return uint(8, out, what, err); }
  // A string: u64 length, then the bytes (at most maxBytes, and never more than are left).
  bool string(std::string& out, std::uint64_t maxBytes, const char* what, std::string& err) {
    const std::uint64_t start = m_pos;
    std::uint64_t n = 0;
    if (!u64(n, what, err)) return false;
    if (n > left()) {
      err = std::string(what) + at(start) + " says it is " + std::to_string(n) + " bytes long, but only " +
            std::to_string(left()) + " bytes are left in the file";
      return false;
    }
    if (n > maxBytes) {
      err = std::string(what) + at(start) + " is " + std::to_string(n) + " bytes long, more than the limit of " +
            std::to_string(maxBytes);
      return false;
    }
    out.assign(reinterpret_cast<const char*>(m_data + m_pos), std::size_t(n));
    m_pos += n;
    return true;
  }
  bool bytes(std::uint64_t n, std::vector<std::uint8_t>& out) {
    if (n > left()) return false;
    out.assign(m_data + m_pos, m_data + m_pos + n);
    m_pos += n;
    return true;
  }

private:
  const std::uint8_t* m_data;
  std::uint64_t m_size;
  std::uint64_t m_pos = 0;
};

class Parser {
public:
  Parser(const std::uint8_t* data, std::uint64_t size, const GgufLimits& limits)
      : c(data, size), m_limits(limits) {}
  Cursor c;
  std::string err;

  // Charges count * unit bytes to the metadata's memory limit (without overflow: m_spent never
  // exceeds the limit, and the product is only formed once it is known to fit).
  bool charge(std::uint64_t count, std::uint64_t unit, std::uint64_t where) {
    if (unit == 0 || count <= (m_limits.maxMetadataBytes - m_spent) / unit) {
      m_spent += count * unit;
      return true;
    }
    err = "the metadata needs more than its memory limit of " + std::to_string(m_limits.maxMetadataBytes) +
          " bytes" + at(where);
    return false;
  }

  bool valueType(std::uint32_t raw, GgufValueType& out, std::uint64_t where, const char* what) {
    if (raw > 12) {
      err = std::string("unknown ") + what + " " + std::to_string(raw) + at(where) + " (GGUF value types are 0..12)";
      return false;
    }
    out = GgufValueType(raw);
    return true;
  }

  // One value of type t (depth: how many arrays it is inside).
  bool value(GgufValueType t, GgufValue& v, int depth) {
    // The value object itself was charged by its owner (the KV table, or its array).
    v.type = t;
    const std::uint64_t start = c.pos();
    std::uint64_t bits = 0;
    switch (t) {
      case GgufValueType::String:
        if (!c.string(v.str, m_limits.maxStringBytes, "a string value", err)) return false;
        return charge(v.str.size(), 1, start);
      case GgufValueType::Array: return array(v, depth);
      default: break;
    }
    const std::size_t n = scalarSize(t);
    if (!c.uint(n, bits, "a metadata value", err)) return false;
    switch (t) {
      case GgufValueType::U8: case GgufValueType::U16: case GgufValueType::U32: case GgufValueType::U64:
        v.u = bits;
        break;
      case GgufValueType::I8: v.i = std::int8_t(std::uint8_t(bits)); break;
      case GgufValueType::I16: v.i = std::int16_t(std::uint16_t(bits)); break;
      case GgufValueType::I32: v.i = std::int32_t(std::uint32_t(bits)); break;
      case GgufValueType::I64: v.i = std::int64_t(bits); break;
      case GgufValueType::F32: {
        const std::uint32_t b32 = std::uint32_t(bits);
        float f;
        std::memcpy(&f, &b32, 4);
        v.f = f;
        break;
      }
      case GgufValueType::F64: std::memcpy(&v.f, &bits, 8); break;
      case GgufValueType::Bool:
        if (bits > 1) {
          err = "a bool value" + at(start) + " is " + std::to_string(bits) + " (neither 0 nor 1)";
          return false;
        }
        v.u = bits;
        break;
      default: break;
    }
    return true;
  }

  bool array(GgufValue& v, int depth) {
    const std::uint64_t start = c.pos();
    if (depth + 1 > kGgufMaxDepth) {
      err = "arrays nest deeper than " + std::to_string(kGgufMaxDepth) + " levels" + at(start);
      return false;
    }
    std::uint32_t rawType = 0;
    if (!c.u32(rawType, "an array's element type", err)) return false;
    if (!valueType(rawType, v.elementType, start, "array element type")) return false;
    if (!c.u64(v.count, "an array's length", err)) return false;
    const std::uint64_t minBytes = minValueBytes(v.elementType);
    if (v.count > c.left() / minBytes) {
      err = "an array" + at(start) + " of " + std::to_string(v.count) + " " + ggufValueTypeName(v.elementType) +
            " values needs at least " + (v.count > std::numeric_limits<std::uint64_t>::max() / minBytes
                                             ? std::string("2^64")
                                             : std::to_string(v.count * minBytes)) +
            " bytes, but only " + std::to_string(c.left()) + " are left in the file";
      return false;
    }
    if (const std::size_t n = scalarSize(v.elementType)) {
      if (!charge(v.count, n, start)) return false;
      c.bytes(v.count * n, v.raw);  // fits: checked above
      if (v.elementType == GgufValueType::Bool) {
        for (std::uint64_t k = 0; k < v.count; ++k)
          if (v.raw[k] > 1) {
            err = "element " + std::to_string(k) + " of a bool array" + at(start) + " is " + std::to_string(v.raw[k]) +
                  " (neither 0 nor 1)";
            return false;
          }
      }
      return true;
    }
    // Strings or arrays: one value object each, charged before any is made (their strings as read).
    if (!charge(v.count, sizeof(GgufValue), start)) return false;
    v.items.resize(std::size_t(v.count));
    for (auto& item : v.items)
      if (!value(v.elementType, item, depth + 1)) return false;
    return true;
  }

private:
  GgufLimits m_limits;
  std::uint64_t m_spent = 0;
};

std::string typeLabel(std::uint32_t id) {
  const GgmlType t = ggmlType(id);
  return t.name ? std::string(t.name) : "type " + std::to_string(id);
}

}  // namespace

const char* ggufValueTypeName(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8: return "uint8";
    case GgufValueType::I8: return "int8";
    case GgufValueType::U16: return "uint16";
    case GgufValueType::I16: return "int16";
    case GgufValueType::U32: return "uint32";
    case GgufValueType::I32: return "int32";
    case GgufValueType::F32: return "float32";
    case GgufValueType::Bool: return "bool";
    case GgufValueType::String: return "string";
    case GgufValueType::Array: return "array";
    case GgufValueType::U64: return "uint64";
    case GgufValueType::I64: return "int64";
    case GgufValueType::F64: return "float64";
  }
  return "?";
}

const char* ggmlTypeName(std::uint32_t id) { return ggmlType(id).name; }

bool GgufValue::scalarAt(std::uint64_t k, double& out) const {
  if (type != GgufValueType::Array) return false;
  const std::size_t n = scalarSize(elementType);
  if (n == 0 || k >= count) return false;
  std::uint64_t bits = 0;
  for (std::size_t b = 0; b < n; ++b) bits |= std::uint64_t(raw[std::size_t(k) * n + b]) << (8 * b);
  switch (elementType) {
    case GgufValueType::I8: out = std::int8_t(std::uint8_t(bits)); break;
    case GgufValueType::I16: out = std::int16_t(std::uint16_t(bits)); break;
    case GgufValueType::I32: out = std::int32_t(std::uint32_t(bits)); break;
    case GgufValueType::I64: out = double(std::int64_t(bits)); break;
    case GgufValueType::F32: {
      const std::uint32_t b32 = std::uint32_t(bits);
      float single;
      std::memcpy(&single, &b32, 4);
      out = single;
      break;
    }
    case GgufValueType::F64: std::memcpy(&out, &bits, 8); break;
    default: out = double(bits); break;
  }
  return true;
}

const GgufKeyValue* GgufFile::find(const std::string& key) const {
  for (const auto& kv : metadata)
    if (kv.key == key) return &kv;
  return nullptr;
}

const GgufTensorInfo* GgufFile::findTensor(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const std::uint8_t* GgufFile::tensorBytes(const GgufTensorInfo& t) const {
  if (!data || (t.nbytes == 0 && t.nElements != 0)) return nullptr;
  return data + t.fileOffset;
}

Result<GgufFile> parseGguf(const std::uint8_t* data, std::size_t size, const GgufLimits& limits,
                           const std::string& name) {
  Parser p(data, size, limits);
  Cursor& c = p.c;
  std::string& err = p.err;
  auto refuse = [&](const std::string& why) { return fail(name + ": " + why); };

  GgufFile f;
  f.path = name;
  f.fileSize = size;
  f.data = data;

  // Header.
  if (size < 4 || std::memcmp(data, "GGUF", 4) != 0)
    return refuse(size < 4 ? "too short for a GGUF file (" + std::to_string(size) + " bytes; it starts with \"GGUF\")"
                           : std::string("not a GGUF file (it does not start with \"GGUF\")"));
  std::uint64_t magic = 0;
  if (!c.uint(4, magic, "the magic", err)) return refuse(err);
  if (!c.u32(f.version, "the version", err)) return refuse(err);
  if (f.version == 1)
    return refuse("GGUF version 1 (32-bit counts, before 2023-08) is not supported; only versions 2 and 3 are");
  if (f.version != 2 && f.version != 3) {
    std::string why = "unsupported GGUF version " + std::to_string(f.version) + at(4) + " (versions 2 and 3 are read)";
    if ((f.version & 0xffffu) == 0) why += "; a big-endian GGUF file? only little-endian files are read";
    return refuse(why);
  }
  std::uint64_t nTensors = 0, nKv = 0;
  if (!c.u64(nTensors, "the tensor count", err)) return refuse(err);
  if (!c.u64(nKv, "the metadata count", err)) return refuse(err);
  // A KV pair takes at least 8 + 4 + 1 bytes, a tensor info 8 + 4 + 4 + 8.
  if (nKv > limits.maxKeyValues)
    return refuse("the metadata count " + std::to_string(nKv) + at(16) + " is more than the limit of " +
                  std::to_string(limits.maxKeyValues));
  if (nKv > c.left() / 13)
    return refuse("the metadata count " + std::to_string(nKv) + at(16) + " cannot fit in the " +
                  std::to_string(c.left()) + " bytes left in the file");
  if (nTensors > limits.maxTensors)
    return refuse("the tensor count " + std::to_string(nTensors) + at(8) + " is more than the limit of " +
                  std::to_string(limits.maxTensors));
  if (nTensors > c.left() / 24)
    return refuse("the tensor count " + std::to_string(nTensors) + at(8) + " cannot fit in the " +
                  std::to_string(c.left()) + " bytes left in the file");

  // Metadata.
  std::set<std::string_view> keys;
  if (!p.charge(nKv, sizeof(GgufKeyValue) + 64, 16)) return refuse(err);  // 64: a node of the key set
  f.metadata.resize(std::size_t(nKv));
  for (std::uint64_t k = 0; k < nKv; ++k) {
    GgufKeyValue& kv = f.metadata[std::size_t(k)];
    kv.fileOffset = c.pos();
    if (!c.string(kv.key, kMaxNameBytes, "a metadata key", err)) return refuse(err + " (KV pair " + std::to_string(k) + ")");
    if (!p.charge(kv.key.size(), 1, kv.fileOffset)) return refuse(err);
    if (!keys.insert(kv.key).second)
      return refuse("the metadata key '" + kv.key + "'" + at(kv.fileOffset) + " appears twice");
    const std::uint64_t typeAt = c.pos();
    std::uint32_t rawType = 0;
    if (!c.u32(rawType, "a metadata value type", err)) return refuse(err + " (key '" + kv.key + "')");
    GgufValueType t{};
    if (!p.valueType(rawType, t, typeAt, "value type")) return refuse(err + " (key '" + kv.key + "')");
    if (!p.value(t, kv.value, 0)) return refuse(err + " (key '" + kv.key + "')");
  }
  if (const GgufKeyValue* a = f.find("general.alignment")) {
    if (a->value.type != GgufValueType::U32)
      return refuse(std::string("general.alignment") + at(a->fileOffset) + " is a " + ggufValueTypeName(a->value.type) +
                    ", not a uint32");
    const std::uint64_t v = a->value.u;
    if (v == 0 || (v & (v - 1)) != 0)
      return refuse("general.alignment" + at(a->fileOffset) + " is " + std::to_string(v) + ", not a power of two");
    f.alignment = v;
  }

  // Tensor infos.
  std::set<std::string_view> names;
  f.tensors.resize(std::size_t(nTensors));
  for (std::uint64_t k = 0; k < nTensors; ++k) {
    GgufTensorInfo& t = f.tensors[std::size_t(k)];
    t.infoOffset = c.pos();
    const std::string which = " (tensor info " + std::to_string(k) + at(t.infoOffset) + ")";
    if (!c.string(t.name, kMaxNameBytes, "a tensor name", err)) return refuse(err + which);
    if (!names.insert(t.name).second) return refuse("the tensor name '" + t.name + "' appears twice" + which);
    const std::string of = " of tensor '" + t.name + "'";
    const std::uint64_t dimsAt = c.pos();
    std::uint32_t nDims = 0;
    if (!c.u32(nDims, "a tensor's n_dims", err)) return refuse(err + of);
    if (nDims == 0 || nDims > kMaxDims)
      return refuse("n_dims" + of + at(dimsAt) + " is " + std::to_string(nDims) + " (1.." + std::to_string(kMaxDims) + ")");
    t.ne.resize(nDims);
    std::uint64_t n = 1;
    bool overflow = false;
    for (std::uint32_t d = 0; d < nDims; ++d) {
      const std::uint64_t neAt = c.pos();
      if (!c.u64(t.ne[d], "a tensor's ne", err)) return refuse(err + of);
      if (t.ne[d] > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        return refuse("ne[" + std::to_string(d) + "]" + of + at(neAt) + " is " + std::to_string(t.ne[d]) +
                      ", more than 2^63 - 1");
      if (t.ne[d] != 0 && n > std::uint64_t(std::numeric_limits<std::int64_t>::max()) / t.ne[d]) overflow = true;
      else n *= t.ne[d];
    }
    if (overflow || n > std::uint64_t(std::numeric_limits<std::size_t>::max()) / sizeof(float)) {
      std::string dims;
      for (std::uint32_t d = 0; d < nDims; ++d) dims += (d ? " x " : "") + std::to_string(t.ne[d]);
      return refuse("the element count" + of + " (" + dims + ")" + at(dimsAt) + " overflows");
    }
    t.nElements = n;
    t.shape.assign(t.ne.rbegin(), t.ne.rend());
    const std::uint64_t typeAt = c.pos();
    if (!c.u32(t.ggmlType, "a tensor's type", err)) return refuse(err + of);
    const std::uint64_t offsetAt = c.pos();
    if (!c.u64(t.offset, "a tensor's offset", err)) return refuse(err + of);

    const GgmlType gt = ggmlType(t.ggmlType);
    t.typeName = typeLabel(t.ggmlType);
    std::uint64_t blockValues = 1, blockBytes = 0;
    switch (gt.kind) {
      case Kind::F32: blockBytes = 4; break;
      case Kind::F16: case Kind::BF16: blockBytes = 2; break;
      case Kind::Raw: {
        const FormatDesc* d = findFormat(std::string_view(gt.format));
        if (d && d->hasRawBlocks() && d->raw.headerBytes == 0) {
          t.format = d->format;
          t.quantized = true;
          blockValues = std::uint64_t(d->raw.blockValues);
          blockBytes = std::uint64_t(d->raw.blockBytes);
        } else {
          t.unsupportedReason = std::string("ggml type ") + gt.name + " (" + std::to_string(t.ggmlType) +
                                "): this build has no raw codec for format '" + gt.format + "'";
        }
        break;
      }
      case Kind::Unsupported:
        t.unsupportedReason = std::string("ggml type ") + gt.name + " (" + std::to_string(t.ggmlType) +
                              ") is not supported by this reader";
        break;
      case Kind::Unknown:
        t.unsupportedReason = "ggml type id " + std::to_string(t.ggmlType) + at(typeAt) + " is unknown";
        break;
    }
    if (t.offset % f.alignment != 0)
      return refuse("the offset " + std::to_string(t.offset) + of + at(offsetAt) + " is not a multiple of the alignment " +
                    std::to_string(f.alignment));
    if (blockBytes) {
      if (t.ne[0] % blockValues != 0)
        return refuse("ne[0] = " + std::to_string(t.ne[0]) + of + " (" + t.typeName + ") is not a multiple of its block of " +
                      std::to_string(blockValues) + " values" + at(dimsAt + 4));
      const std::uint64_t blocks = n / blockValues;
      if (blocks > std::numeric_limits<std::uint64_t>::max() / blockBytes)
        return refuse("the byte size" + of + at(dimsAt) + " overflows");
      t.nbytes = blocks * blockBytes;
      t.supported = true;
    }
  }

  // The data section: the first aligned offset after the infos.
  const std::uint64_t end = c.pos();
  const std::uint64_t pad = (f.alignment - end % f.alignment) % f.alignment;
  if (pad > c.left())
    return refuse("the file ends" + at(size) + " inside the padding before the data section (aligned to " +
                  std::to_string(f.alignment) + " after the tensor infos end" + at(end) + ")");
  f.dataOffset = end + pad;
  const std::uint64_t dataBytes = size - f.dataOffset;

  // Every tensor inside the data section, none overlapping another.
  std::vector<std::pair<std::uint64_t, std::size_t>> order;
  for (std::size_t k = 0; k < f.tensors.size(); ++k) {
    GgufTensorInfo& t = f.tensors[k];
    if (t.offset > dataBytes || t.nbytes > dataBytes - t.offset)
      return refuse("tensor '" + t.name + "' (" + t.typeName + ", " + std::to_string(t.nbytes) + " bytes at data offset " +
                    std::to_string(t.offset) + ", info" + at(t.infoOffset) + ") lies past the end of the data section (" +
                    std::to_string(dataBytes) + " bytes from byte " + std::to_string(f.dataOffset) + ")");
    t.fileOffset = f.dataOffset + t.offset;
    if (t.supported) order.emplace_back(t.offset, k);
  }
  std::sort(order.begin(), order.end());
  for (std::size_t k = 1; k < order.size(); ++k) {
    const GgufTensorInfo& a = f.tensors[order[k - 1].second];
    const GgufTensorInfo& b = f.tensors[order[k].second];
    if (a.offset + a.nbytes > b.offset)
      return refuse("tensors '" + a.name + "' (data offset " + std::to_string(a.offset) + ", " + std::to_string(a.nbytes) +
                    " bytes) and '" + b.name + "' (data offset " + std::to_string(b.offset) + ") overlap");
  }
  return f;
}

Result<GgufFile> openGguf(const std::string& path, const GgufLimits& limits) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return fail("cannot read " + path + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* what = S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)             ? "a device"
                                                                                 : "not a regular file";
    return fail("cannot read " + path + ": " + what + " (a GGUF file must be a regular file)");
  }
  const std::uint64_t size = std::uint64_t(st.st_size);
  if (size == 0) {
    ::close(fd);
    return fail(path + ": an empty file, not a GGUF file");
  }
  if (size > std::uint64_t(std::numeric_limits<std::size_t>::max())) {
    ::close(fd);
    return fail(path + ": too large to map");
  }
  void* map = ::mmap(nullptr, std::size_t(size), PROT_READ, MAP_PRIVATE, fd, 0);
  const int mapErr = errno;
  ::close(fd);
  if (map == MAP_FAILED) return fail("cannot map " + path + ": " + std::strerror(mapErr));
  const std::size_t mapped = std::size_t(size);
  std::shared_ptr<const void> keep(map, [mapped](const void* p) { ::munmap(const_cast<void*>(p), mapped); });
  auto r = parseGguf(static_cast<const std::uint8_t*>(map), mapped, limits, path);
  if (!r) return r;
  r->keep = std::move(keep);
  return r;
}

Status dequantizeGguf(const GgufFile& file, const GgufTensorInfo& t, float* out) {
  const std::string who = file.path + ": tensor '" + t.name + "'";
  if (!t.supported) return fail(who + " cannot be dequantized: " + t.unsupportedReason);
  if (!file.data || t.fileOffset > file.fileSize || t.nbytes > file.fileSize - t.fileOffset)
    return fail(who + ": its bytes are not inside the file");
  const std::uint8_t* p = file.data + t.fileOffset;
  const std::size_t n = std::size_t(t.nElements);
  const Kind kind = ggmlType(t.ggmlType).kind;
  // An info changed after parsing must still describe exactly its bytes (the raw codecs check theirs).
  const std::uint64_t item = kind == Kind::F32 ? 4 : kind == Kind::F16 || kind == Kind::BF16 ? 2 : 0;
  if (item && (t.nElements > t.nbytes / item || t.nElements * item != t.nbytes))
    return fail(who + ": " + std::to_string(t.nElements) + " elements do not take its " + std::to_string(t.nbytes) + " bytes");
  switch (kind) {
    case Kind::F32:
      static_assert(std::endian::native == std::endian::little, "the F32 copy assumes a little-endian host");
      if (n) std::memcpy(out, p, n * 4);
      return {};
    case Kind::F16:
      for (std::size_t k = 0; k < n; ++k) out[k] = halfToFloat(std::uint16_t(p[2 * k] | (p[2 * k + 1] << 8)));
      return {};
    case Kind::BF16:
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t bits = std::uint32_t(p[2 * k] | (p[2 * k + 1] << 8)) << 16;
        std::memcpy(&out[k], &bits, 4);
      }
      return {};
    case Kind::Raw: {
      if (n == 0) return {};
      BlockwiseSettings s;
      s.format = t.format;
      s.rowLength = std::size_t(t.ne[0]);
      Status st = dequantizeRawBlocks(p, std::size_t(t.nbytes), n, s, out);
      if (!st) return fail(who + ": " + st.error());
      return {};
    }
    default: return fail(who + " cannot be dequantized: " + t.unsupportedReason);
  }
}

}  // namespace qviz::core
