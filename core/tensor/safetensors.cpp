// .safetensors: 8-byte little-endian header length N, N bytes of JSON, then the data section.
// The JSON is read with nlohmann-json's SAX parser into a bounded table (no DOM); every field is type-checked and every
// offset range is checked against the data section before a tensor is read with pread.
#include "tensor/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <limits>
#include <set>
#include <nlohmann/json.hpp>

#include "tensor/source.hpp"
#include "util/fs.hpp"

namespace qviz::core {
namespace {
using Json = nlohmann::json;

// Bytes per element of every dtype the format defines (0: not a safetensors dtype).
std::size_t safetensorsItemSize(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "BOOL" || d == "U8" || d == "I8" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

// A real header is a flat map: {name: {dtype, shape: [...], data_offsets: [...]}, __metadata__: {...}},
// three levels deep. The header is read with nlohmann's SAX interface and the tensor table is built
// from its events: no DOM is ever made (a 100 MB header of '[' once took 7.4 GB as a DOM, and a
// 100 MB header of small entries or of one long array several GB). Nesting deeper than 4 levels is
// refused at the first bracket too many, and every key of the header is charged to a table budget
// of kSafetensorsTableBudget bytes (by default) (a top-level key: kRowCost for its table row, and its name; an inner key: kKeyCost
// and its length; each kept shape entry 8), so what the reader keeps while parsing stays within
// about twice the budget (the rows, then the index built from them) whatever the header holds;
// values it does not keep (metadata strings, unknown fields, shape entries past the 65th) cost
// nothing but the parser's own buffer for one string.
constexpr std::size_t kMaxHeaderDepth = 4;
constexpr std::uint64_t kKeyCost = 64;  // an inner key: a node of its object's key set
constexpr std::size_t kMaxDims = 64;
constexpr std::size_t kMaxKeptDtype = 64;  // a longer dtype is unknown anyway; messages show its start

// What the header says about one top-level key, before it is checked.
struct RawEntry {
  std::string name;
  bool isObject = false;
  bool hasDtype = false, dtypeIsString = false;
  std::string dtype;  // at most kMaxKeptDtype bytes (dtypeLong: it was longer)
  bool dtypeLong = false;
  bool hasShape = false, shapeIsArray = false, shapeBad = false;
  std::vector<std::uint64_t> shape;  // at most kMaxDims + 1 kept
  std::size_t shapeSize = 0;
  bool hasOffsets = false, offsetsIsArray = false, offsetsBad = false;
  std::vector<std::uint64_t> offsets;  // at most 3 kept
  std::size_t offsetsSize = 0;
  bool metadataBad = false;  // __metadata__: a value that is not a string
};

// A top-level key: one row (a fixed charge, so that the limit falls on the same key everywhere).
constexpr std::uint64_t kRowCost = 256;
static_assert(sizeof(RawEntry) <= kRowCost);

class TableBuilder : public nlohmann::json_sax<Json> {
public:
  std::string problem;  // a refusal found while parsing (depth, budget, repeated key)
  bool syntaxError = false;
  std::deque<RawEntry> entries;  // no reallocation: a row costs what it holds

  bool null() override { return scalar(Kind::Other); }
  bool boolean(bool) override { return scalar(Kind::Other); }
  bool number_integer(number_integer_t v) override {
    return v >= 0 ? number(std::uint64_t(v)) : scalar(Kind::Other);
  }
  bool number_unsigned(number_unsigned_t v) override { return number(v); }
  bool number_float(number_float_t, const string_t&) override { return scalar(Kind::Other); }
  bool binary(binary_t&) override { return scalar(Kind::Other); }
  bool string(string_t& v) override {
    if (depth() == 2 && field() == Field::Dtype) {
      RawEntry& e = entries.back();
      e.dtypeIsString = true;
      e.dtypeLong = v.size() > kMaxKeptDtype;
      e.dtype = v.substr(0, kMaxKeptDtype);
      return true;
    }
    return scalar(Kind::String);
  }
  bool start_object(std::size_t) override {
    if (!open(true)) return false;
    const std::size_t d = depth();
    if (d == 2) {
      entries.back().isObject = true;  // a tensor, or __metadata__
    } else if (d == 3 && inMetadata()) {
      entries.back().metadataBad = true;  // (a field's value that is an object is simply not kept)
    } else if (d == 4) {
      markContainerInField();
    }
    return true;
  }
  bool key(string_t& k) override {
    const std::size_t d = depth();
    ++m_keys;
    if (!spend((d == 1 ? kRowCost : kKeyCost) + k.size())) return false;
    if (d == 1) {
      m_field = Field::None;
      // Repeated top-level names are found once the table is sorted; inner objects keep a key set.
      entries.emplace_back();
      entries.back().name = k;
      return true;
    }
    if (!m_keys_open.back().insert(k).second) {
      problem = "key '" + k + "' appears twice in one object of the header";
      return false;
    }
    if (d == 2 && !inMetadata()) {
      RawEntry& e = entries.back();
      m_field = k == "dtype" ? Field::Dtype : k == "shape" ? Field::Shape : k == "data_offsets" ? Field::Offsets : Field::Other;
      if (m_field == Field::Dtype) e.hasDtype = true;
      if (m_field == Field::Shape) e.hasShape = true;
      if (m_field == Field::Offsets) e.hasOffsets = true;
    }
    return true;
  }
  bool end_object() override {
    close();
    return true;
  }
  bool start_array(std::size_t) override {
    if (!open(false)) return false;
    const std::size_t d = depth();
    if (d == 2 && !inMetadata()) return true;  // a tensor that is an array: "not an object"
    if (d == 2) return true;                   // __metadata__ as an array: "not an object" below
    if (d == 3 && inMetadata()) entries.back().metadataBad = true;
    if (d == 3 && !inMetadata()) {
      RawEntry& e = entries.back();
      if (m_field == Field::Shape) e.shapeIsArray = true;
      else if (m_field == Field::Offsets) e.offsetsIsArray = true;
    }
    if (d == 4) markContainerInField();
    return true;
  }
  bool end_array() override {
    close();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    syntaxError = true;
    return false;
  }

private:
  enum class Field { None, Dtype, Shape, Offsets, Other };
  enum class Kind { String, Other };

  std::size_t depth() const { return m_isObject.size(); }
  bool inMetadata() const { return depth() >= 2 && !entries.empty() && entries.back().name == "__metadata__"; }
  Field field() const { return depth() == 2 && m_isObject[1] ? m_field : Field::None; }

  bool open(bool object) {
    m_isObject.push_back(object);
    if (object) m_keys_open.emplace_back();
    if (depth() <= kMaxHeaderDepth) return true;
    problem = "the header nests deeper than " + std::to_string(kMaxHeaderDepth) +
              " levels (a safetensors header is a flat map of tensors)";
    return false;
  }
  void close() {
    if (m_isObject.back()) m_keys_open.pop_back();
    m_isObject.pop_back();
  }
  bool spend(std::uint64_t bytes) {
    m_spent += bytes;
    if (m_spent <= m_budget) return true;
    problem = "the header's keys need more than its table budget of " +
              (m_budget % (1u << 20) == 0 ? std::to_string(m_budget >> 20) + " MiB" : std::to_string(m_budget) + " bytes") +
              " (" + std::to_string(m_keys) + " keys so far; a safetensors header is a flat map of tensors)";
    return false;
  }
  // A container where an element of a tensor's shape or data_offsets array should be.
  void markContainerInField() {
    if (entries.empty() || inMetadata() || m_isObject[2]) return;
    RawEntry& e = entries.back();
    if (m_field == Field::Shape) ++e.shapeSize, e.shapeBad = true;
    else if (m_field == Field::Offsets) ++e.offsetsSize, e.offsetsBad = true;
  }
  bool number(std::uint64_t v) {
    if (depth() == 3 && !inMetadata() && !m_isObject[2]) {
      RawEntry& e = entries.back();
      if (m_field == Field::Shape) {
        if (++e.shapeSize <= kMaxDims + 1) {
          e.shape.push_back(v);
          return spend(sizeof(v));
        }
        return true;
      }
      if (m_field == Field::Offsets) {
        if (++e.offsetsSize <= 3) e.offsets.push_back(v);
        return true;
      }
    }
    return scalar(Kind::Other);
  }
  bool scalar(Kind kind) {
    const std::size_t d = depth();
    if (d == 2 && inMetadata() && m_isObject[1]) {
      if (kind != Kind::String) entries.back().metadataBad = true;
    } else if (d == 3 && !inMetadata() && !m_isObject[2]) {
      RawEntry& e = entries.back();
      if (m_field == Field::Shape) ++e.shapeSize, e.shapeBad = true;
      else if (m_field == Field::Offsets) ++e.offsetsSize, e.offsetsBad = true;
    }
    return true;
  }

  std::vector<bool> m_isObject;                     // one per open container
  std::vector<std::set<std::string>> m_keys_open;   // one per open object below the top level
  Field m_field = Field::None;                      // the tensor field being read (depth 2 key)
  std::uint64_t m_spent = 0, m_keys = 0;
  std::uint64_t m_budget;

public:
  explicit TableBuilder(std::uint64_t budget) : m_budget(budget) {}
};

// Closes the descriptor on every path.
class Fd {
public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }

private:
  int m_fd;
};

Result<SafetensorsIndex> readIndex(int fd, std::uint64_t fileSize, const std::string& name,
                                   const SafetensorsLimits& limits) {
  if (fileSize < 8) return fail(name + ": too short for a .safetensors file (" + std::to_string(fileSize) + " bytes)");
  std::uint8_t lenBytes[8];
  if (!readAt(fd, lenBytes, 8, 0)) return fail(name + ": cannot read the header length");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | lenBytes[i];
  if (n > limits.maxHeaderBytes)
    return fail(name + ": header length " + std::to_string(n) + " exceeds the limit of " +
                std::to_string(limits.maxHeaderBytes) + " bytes");
  if (n > fileSize - 8)
    return fail(name + ": header length " + std::to_string(n) + " is beyond the end of the file (" +
                std::to_string(fileSize) + " bytes)");
  std::string text(std::size_t(n), '\0');
  if (!readAt(fd, text.data(), text.size(), 8)) return fail(name + ": cannot read the header");
  auto index = parseSafetensorsHeader(text.data(), text.size(), fileSize - 8 - n, name, limits.maxTableBytes);
  if (!index) return index;
  index->headerBytes = n;
  return index;
}

}  // namespace

const SafetensorsEntry* SafetensorsIndex::find(const std::string& tensorName) const {
  for (const auto& e : tensors)
    if (e.name == tensorName) return &e;
  return nullptr;
}

Result<SafetensorsIndex> parseSafetensorsHeader(const char* json, std::size_t size, std::uint64_t dataBytes,
                                                const std::string& name, std::uint64_t tableBudget) {
  if (size == 0 || json[0] != '{') return fail(name + ": the header is not a JSON object");
  // nlohmann's lexer ends the input at a NUL byte: what follows one would never be looked at.
  if (std::memchr(json, '\0', size) != nullptr) return fail(name + ": the header is not valid JSON (a NUL byte)");
  TableBuilder table(tableBudget);
  Json::sax_parse(json, json + size, &table);
  if (!table.problem.empty()) return fail(name + ": " + table.problem);
  if (table.syntaxError) return fail(name + ": the header is not valid JSON");
  // Checked in name order (the order of the JSON object the reader once built), so a repeated
  // name is next to its twin.
  std::deque<RawEntry>& raw = table.entries;
  std::stable_sort(raw.begin(), raw.end(), [](const RawEntry& a, const RawEntry& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < raw.size(); ++i)
    if (raw[i].name == raw[i - 1].name) return fail(name + ": tensor '" + raw[i].name + "' appears twice in the header");
  SafetensorsIndex index;
  index.dataBytes = dataBytes;
  index.tensors.reserve(raw.size());
  for (RawEntry& r : raw) {
    const std::string& key = r.name;
    if (key == "__metadata__") {
      if (!r.isObject) return fail(name + ": __metadata__ is not an object");
      if (r.metadataBad) return fail(name + ": __metadata__ values must be strings");
      continue;
    }
    const std::string where = name + ": tensor '" + key + "'";
    if (!r.isObject) return fail(where + " is not an object");
    if (!r.hasDtype || !r.dtypeIsString) return fail(where + " has no dtype string");
    if (!r.hasShape || !r.shapeIsArray) return fail(where + " has no shape array");
    if (!r.hasOffsets || !r.offsetsIsArray || r.offsetsSize != 2) return fail(where + " has no [begin, end] data_offsets");
    SafetensorsEntry e;
    e.name = std::move(r.name);
    e.dtype = std::move(r.dtype);
    const std::size_t item = r.dtypeLong ? 0 : safetensorsItemSize(e.dtype);
    if (item == 0) return fail(where + " has unknown dtype '" + e.dtype + (r.dtypeLong ? "...'" : "'"));
    if (r.shapeSize > kMaxDims) return fail(where + " has more than 64 dimensions");
    if (r.shapeBad) return fail(where + " has a shape entry that is not a non-negative integer");
    for (std::uint64_t dim : r.shape) {
      if (dim > std::uint64_t(SIZE_MAX)) return fail(where + " has a shape entry that is not a non-negative integer");
      e.shape.push_back(std::size_t(dim));
    }
    if (r.offsetsBad) return fail(where + " has data_offsets that are not non-negative integers");
    e.begin = r.offsets[0];
    e.end = r.offsets[1];
    if (e.begin > e.end || e.end > dataBytes)
      return fail(where + " has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                  "] outside the data section of " + std::to_string(dataBytes) + " bytes");
    // Listing a file allocates nothing per tensor: the memory budget applies when one is loaded.
    auto bytes = tensorBytes(e.shape, item, e.dtype, std::numeric_limits<std::uint64_t>::max());
    if (!bytes) return fail(where + ": " + bytes.error());
    if (*bytes != e.end - e.begin)
      return fail(where + ": shape " + shapeString(e.shape) + " of " + e.dtype + " does not match its " +
                  std::to_string(e.end - e.begin) + " bytes");
    if (e.dtype == "F32") e.type = DType::F32, e.supported = true;
    else if (e.dtype == "F16") e.type = DType::F16, e.supported = true;
    else if (e.dtype == "BF16") e.type = DType::BF16, e.supported = true;
    index.tensors.push_back(std::move(e));
  }
  // No two tensors may share bytes.
  std::vector<const SafetensorsEntry*> byOffset;
  for (const auto& e : index.tensors)
    if (e.end > e.begin) byOffset.push_back(&e);
  std::sort(byOffset.begin(), byOffset.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i]->begin < byOffset[i - 1]->end)
      return fail(name + ": tensors '" + byOffset[i - 1]->name + "' and '" + byOffset[i]->name + "' overlap");
  return index;
}

Result<SafetensorsIndex> listSafetensors(const std::string& path, const SafetensorsLimits& limits) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return fail("cannot read " + path + ": not a regular file");
  return readIndex(fd.get(), std::uint64_t(st.st_size), path, limits);
}

namespace {
Result<Tensor> checkedEntry(const SafetensorsIndex& index, const std::string& tensorName, const std::string& name,
                            const SafetensorsLimits& limits, const SafetensorsEntry*& entry) {
  entry = index.find(tensorName);
  if (!entry) {
    std::string names;
    for (std::size_t i = 0; i < index.tensors.size() && i < 8; ++i) names += (i ? ", " : "") + index.tensors[i].name;
    if (index.tensors.size() > 8) names += ", ...";
    return fail(name + ": no tensor named '" + tensorName + "' (has: " + names + ")");
  }
  if (!entry->supported)
    return fail(name + ": tensor '" + tensorName + "' is " + entry->dtype + "; only F32, F16 and BF16 are loaded");
  if (auto bytes = tensorBytes(entry->shape, dtypeSize(entry->type), entry->dtype, limits.maxTensorBytes); !bytes)
    return fail(name + ": tensor '" + tensorName + "': " + bytes.error());
  Tensor t;
  t.dtype = entry->type;
  t.shape = entry->shape;
  return t;
}
}  // namespace

Result<Tensor> loadSafetensor(const std::string& path, const std::string& tensorName, const SafetensorsLimits& limits) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return fail("cannot read " + path + ": not a regular file");
  auto index = readIndex(fd.get(), std::uint64_t(st.st_size), path, limits);
  if (!index) return fail(index.error());
  const SafetensorsEntry* e = nullptr;
  auto t = checkedEntry(*index, tensorName, path, limits, e);
  if (!t) return t;
  t->bytes.resize(std::size_t(e->end - e->begin));
  if (!readAt(fd.get(), t->bytes.data(), t->bytes.size(), 8 + index->headerBytes + e->begin))
    return fail(path + ": cannot read tensor '" + tensorName + "' (file changed while reading?)");
  return t;
}

Result<TensorSource> TensorSource::openSafetensor(const std::string& path, const std::string& tensorName,
                                                  const SafetensorsLimits& limits) {
  const int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) return fail("cannot open " + path + ": " + std::strerror(errno));
  Fd fd(raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return fail("cannot read " + path + ": not a regular file");
  auto index = readIndex(fd.get(), std::uint64_t(st.st_size), path, limits);
  if (!index) return fail(index.error());
  const SafetensorsEntry* e = nullptr;
  auto t = checkedEntry(*index, tensorName, path, limits, e);
  if (!t) return fail(t.error());
  const int kept = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
  if (kept < 0) return fail("cannot read " + path + ": " + std::strerror(errno));
  return TensorSource(kept, t->dtype, t->shape, 8 + index->headerBytes + e->begin,
                      path + ": cannot read tensor '" + tensorName + "' (file changed while reading?)");
}

Result<Tensor> parseSafetensor(const std::uint8_t* data, std::size_t size, const std::string& tensorName,
                               const SafetensorsLimits& limits) {
  const std::string name = "safetensors data";
  if (size < 8) return fail(name + ": too short for a .safetensors file (" + std::to_string(size) + " bytes)");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | data[i];
  if (n > limits.maxHeaderBytes) return fail(name + ": header length " + std::to_string(n) + " exceeds the limit");
  if (n > size - 8) return fail(name + ": header length " + std::to_string(n) + " is beyond the end of the file");
  auto index = parseSafetensorsHeader(reinterpret_cast<const char*>(data + 8), std::size_t(n), size - 8 - n, name,
                                      limits.maxTableBytes);
  if (!index) return fail(index.error());
  index->headerBytes = n;
  const SafetensorsEntry* e = nullptr;
  auto t = checkedEntry(*index, tensorName, name, limits, e);
  if (!t) return t;
  const std::uint8_t* p = data + 8 + n + e->begin;
  t->bytes.assign(p, p + (e->end - e->begin));
  return t;
}

}  // namespace qviz::core
