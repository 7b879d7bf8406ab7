// .safetensors: 8-byte little-endian header length N, N bytes of JSON, then the data section.
// The JSON is parsed with nlohmann-json without exceptions; every field is type-checked and every
// offset range is checked against the data section before a tensor is read with pread.
#include "tensor/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <nlohmann/json.hpp>

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

bool jsonToU64(const Json& j, std::uint64_t& out) {
  if (j.is_number_unsigned()) {
    out = j.get<std::uint64_t>();
    return true;
  }
  if (j.is_number_integer() && j.get<std::int64_t>() >= 0) {
    out = std::uint64_t(j.get<std::int64_t>());
    return true;
  }
  return false;
}

// A real header is a flat map: {name: {dtype, shape: [...], data_offsets: [...]}, __metadata__: {...}},
// three levels deep. The structural pass refuses deeper nesting at the first bracket too many (a
// 100 MB header of '[' once took 7.4 GB as a DOM) and any key repeated in one object (the DOM keeps
// the last one silently), before the DOM is built; its own state is one key set per open object.
constexpr std::size_t kMaxHeaderDepth = 4;

class StructureCheck : public nlohmann::json_sax<Json> {
public:
  std::string problem;  // empty: well-formed, shallow, no duplicates (or a plain syntax error)
  bool syntaxError = false;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    m_keys.emplace_back();
    m_isObject.push_back(true);
    return deepEnough();
  }
  bool key(string_t& k) override {
    if (!m_keys.back().insert(k).second) {
      problem = m_keys.size() == 1 ? "tensor '" + k + "' appears twice in the header"
                                   : "key '" + k + "' appears twice in one object of the header";
      return false;
    }
    return true;
  }
  bool end_object() override {
    m_keys.pop_back();
    m_isObject.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    m_isObject.push_back(false);
    return deepEnough();
  }
  bool end_array() override {
    m_isObject.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    syntaxError = true;
    return false;
  }

private:
  bool deepEnough() {
    if (m_isObject.size() <= kMaxHeaderDepth) return true;
    problem = "the header nests deeper than " + std::to_string(kMaxHeaderDepth) +
              " levels (a safetensors header is a flat map of tensors)";
    return false;
  }
  std::vector<std::set<std::string>> m_keys;  // one per open object
  std::vector<bool> m_isObject;               // one per open container
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
  auto index = parseSafetensorsHeader(text.data(), text.size(), fileSize - 8 - n, name);
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
                                                const std::string& name) {
  if (size == 0 || json[0] != '{') return fail(name + ": the header is not a JSON object");
  // nlohmann's lexer ends the input at a NUL byte: what follows one would never be looked at.
  if (std::memchr(json, '\0', size) != nullptr) return fail(name + ": the header is not valid JSON (a NUL byte)");
  {
    StructureCheck check;
    Json::sax_parse(json, json + size, &check);
    if (!check.problem.empty()) return fail(name + ": " + check.problem);
    if (check.syntaxError) return fail(name + ": the header is not valid JSON");
  }
  const Json doc = Json::parse(json, json + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return fail(name + ": the header is not valid JSON");
  SafetensorsIndex index;
  index.dataBytes = dataBytes;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    const Json& v = it.value();
    if (key == "__metadata__") {
      if (!v.is_object()) return fail(name + ": __metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m)
        if (!m.value().is_string()) return fail(name + ": __metadata__ values must be strings");
      continue;
    }
    const std::string where = name + ": tensor '" + key + "'";
    if (!v.is_object()) return fail(where + " is not an object");
    const auto dt = v.find("dtype"), sh = v.find("shape"), off = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) return fail(where + " has no dtype string");
    if (sh == v.end() || !sh->is_array()) return fail(where + " has no shape array");
    if (off == v.end() || !off->is_array() || off->size() != 2) return fail(where + " has no [begin, end] data_offsets");
    SafetensorsEntry e;
    e.name = key;
    e.dtype = dt->get<std::string>();
    const std::size_t item = safetensorsItemSize(e.dtype);
    if (item == 0) return fail(where + " has unknown dtype '" + e.dtype + "'");
    if (sh->size() > 64) return fail(where + " has more than 64 dimensions");
    for (const Json& d : *sh) {
      std::uint64_t dim = 0;
      if (!jsonToU64(d, dim) || dim > std::uint64_t(SIZE_MAX)) return fail(where + " has a shape entry that is not a non-negative integer");
      e.shape.push_back(std::size_t(dim));
    }
    if (!jsonToU64((*off)[0], e.begin) || !jsonToU64((*off)[1], e.end))
      return fail(where + " has data_offsets that are not non-negative integers");
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

Result<Tensor> parseSafetensor(const std::uint8_t* data, std::size_t size, const std::string& tensorName,
                               const SafetensorsLimits& limits) {
  const std::string name = "safetensors data";
  if (size < 8) return fail(name + ": too short for a .safetensors file (" + std::to_string(size) + " bytes)");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | data[i];
  if (n > limits.maxHeaderBytes) return fail(name + ": header length " + std::to_string(n) + " exceeds the limit");
  if (n > size - 8) return fail(name + ": header length " + std::to_string(n) + " is beyond the end of the file");
  auto index = parseSafetensorsHeader(reinterpret_cast<const char*>(data + 8), std::size_t(n), size - 8 - n, name);
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
