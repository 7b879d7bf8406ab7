// .npy parsing: a strict reader of the header's Python dict literal ({'descr': '<f4',
// 'fortran_order': False, 'shape': (2, 3), }) and an exact size check of the data that follows.
#include "tensor/npy.hpp"

#include <cctype>
#include <cstring>

#include "util/fs.hpp"

namespace qviz::core {
namespace {

constexpr std::uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

// Cursor over the header text with the few Python literal forms numpy writes.
class HeaderParser {
public:
  explicit HeaderParser(const std::string& text) : m_text(text) {}

  void skipSpace() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n'))
      ++m_pos;
  }
  bool eat(char c) {
    skipSpace();
    if (m_pos < m_text.size() && m_text[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skipSpace();
    return m_pos < m_text.size() && m_text[m_pos] == c;
  }
  bool atEnd() {
    skipSpace();
    return m_pos >= m_text.size();
  }
  bool string(std::string& out) {
    skipSpace();
    if (m_pos >= m_text.size() || (m_text[m_pos] != '\'' && m_text[m_pos] != '"')) return false;
    const char q = m_text[m_pos++];
    const std::size_t end = m_text.find(q, m_pos);
    if (end == std::string::npos) return false;
    out = m_text.substr(m_pos, end - m_pos);
    if (out.find('\\') != std::string::npos) return false;  // numpy never escapes in these fields
    m_pos = end + 1;
    return true;
  }
  bool word(std::string& out) {
    skipSpace();
    const std::size_t start = m_pos;
    while (m_pos < m_text.size() && std::isalpha(static_cast<unsigned char>(m_text[m_pos]))) ++m_pos;
    out = m_text.substr(start, m_pos - start);
    return !out.empty();
  }
  bool integer(std::size_t& out) {
    skipSpace();
    const std::size_t start = m_pos;
    std::size_t v = 0;
    while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
      const std::size_t digit = std::size_t(m_text[m_pos] - '0');
      if (v > (std::size_t(-1) - digit) / 10) return false;
      v = v * 10 + digit;
      ++m_pos;
    }
    if (m_pos < m_text.size() && m_text[m_pos] == 'L') ++m_pos;  // Python 2 long suffix
    out = v;
    return m_pos > start;
  }

private:
  const std::string& m_text;
  std::size_t m_pos = 0;
};

Result<DType> parseDescr(const std::string& descr, const std::string& name) {
  if (descr.size() < 2) return fail(name + ": unsupported dtype '" + descr + "'");
  const char order = descr[0];
  const std::string kind = descr.substr(1);
  if (kind == "O" || kind == "O8" || kind == "O4")
    return fail(name + ": object arrays are not supported (dtype '" + descr + "')");
  const bool oneByte = kind == "u1" || kind == "i1" || kind == "b1";
  if (!oneByte && order == '>') return fail(name + ": big-endian data is not supported (dtype '" + descr + "')");
  if (!oneByte && order != '<')
    return fail(name + ": unsupported byte order in dtype '" + descr + "' (only little-endian '<')");
  if (oneByte && order != '|' && order != '<' && order != '>' && order != '=')
    return fail(name + ": unsupported dtype '" + descr + "'");
  if (kind == "f4") return DType::F32;
  if (kind == "f2") return DType::F16;
  if (kind == "u1") return DType::U8;
  if (kind == "i1") return DType::I8;
  return fail(name + ": unsupported dtype '" + descr + "' (float32, float16, uint8 and int8 are read)");
}

}  // namespace

Result<Tensor> parseNpy(const std::uint8_t* data, std::size_t size, const std::string& name, const NpyLimits& limits) {
  if (size < 10 || std::memcmp(data, kMagic, 6) != 0) return fail(name + ": not a .npy file (no \\x93NUMPY magic)");
  const int major = data[6], minor = data[7];
  if (major < 1 || major > 3 || minor != 0)
    return fail(name + ": unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  std::size_t headerLen = 0, prefix = 0;
  if (major == 1) {
    headerLen = std::size_t(data[8]) | std::size_t(data[9]) << 8;
    prefix = 10;
  } else {
    if (size < 12) return fail(name + ": truncated .npy header");
    headerLen = std::size_t(data[8]) | std::size_t(data[9]) << 8 | std::size_t(data[10]) << 16 |
                std::size_t(data[11]) << 24;
    prefix = 12;
  }
  if (headerLen > limits.maxHeaderBytes)
    return fail(name + ": .npy header of " + std::to_string(headerLen) + " bytes is larger than the limit");
  if (headerLen > size - prefix) return fail(name + ": truncated .npy header");
  const std::string header(reinterpret_cast<const char*>(data + prefix), headerLen);
  if (header.empty() || header.back() != '\n') return fail(name + ": malformed .npy header (no final newline)");
  if (major < 3)  // versions 1 and 2 are latin-1; anything non-ASCII is not something numpy wrote
    for (char c : header)
      if (static_cast<unsigned char>(c) >= 0x80) return fail(name + ": malformed .npy header (non-ASCII)");

  HeaderParser p(header);
  std::string descr;
  bool haveDescr = false, haveOrder = false, haveShape = false, fortran = false;
  std::vector<std::size_t> shape;
  if (!p.eat('{')) return fail(name + ": malformed .npy header (expected a dict)");
  while (!p.eat('}')) {
    std::string key;
    if (!p.string(key) || !p.eat(':')) return fail(name + ": malformed .npy header");
    if (key == "descr") {
      if (p.peek('[')) return fail(name + ": structured arrays are not supported");
      if (!p.string(descr)) return fail(name + ": malformed .npy header (descr)");
      haveDescr = true;
    } else if (key == "fortran_order") {
      std::string w;
      if (!p.word(w) || (w != "True" && w != "False")) return fail(name + ": malformed .npy header (fortran_order)");
      fortran = w == "True";
      haveOrder = true;
    } else if (key == "shape") {
      if (!p.eat('(')) return fail(name + ": malformed .npy header (shape)");
      while (!p.eat(')')) {
        std::size_t dim = 0;
        if (!p.integer(dim)) return fail(name + ": malformed .npy header (shape)");
        shape.push_back(dim);
        if (shape.size() > 64) return fail(name + ": more than 64 dimensions");
        if (!p.eat(',') && !p.peek(')')) return fail(name + ": malformed .npy header (shape)");
      }
      haveShape = true;
    } else {
      return fail(name + ": unexpected key '" + key + "' in the .npy header");
    }
    if (!p.eat(',') && !p.peek('}')) return fail(name + ": malformed .npy header");
  }
  if (!p.atEnd()) return fail(name + ": malformed .npy header (text after the dict)");
  if (!haveDescr || !haveOrder || !haveShape)
    return fail(name + ": .npy header lacks one of descr, fortran_order, shape");
  if (fortran) return fail(name + ": Fortran-order arrays are not supported (save with C order)");
  auto dtype = parseDescr(descr, name);
  if (!dtype) return fail(dtype.error());
  const std::size_t itemSize = dtypeSize(*dtype);
  auto count = shapeCount(shape, (size - prefix - headerLen) / itemSize + 1);
  if (!count) return fail(name + ": " + count.error() + ", more than the file holds");
  const std::size_t dataBytes = size - prefix - headerLen;
  if (*count * itemSize != dataBytes)
    return fail(name + ": data is " + std::to_string(dataBytes) + " bytes but shape " + shapeString(shape) + " of " +
                dtypeName(*dtype) + " needs " + std::to_string(*count * itemSize));
  return tensorFromBytes(shape, *dtype, data + prefix + headerLen, dataBytes);
}

Result<Tensor> readNpy(const std::string& path, const NpyLimits& limits) {
  auto bytes = readFile(path, limits.maxFileBytes);
  if (!bytes) return fail(bytes.error());
  return parseNpy(bytes->data(), bytes->size(), path, limits);
}

Result<std::vector<std::uint8_t>> encodeNpy(const Tensor& t) {
  const char* descr = nullptr;
  switch (t.dtype) {
    case DType::F32: descr = "<f4"; break;
    case DType::F16: descr = "<f2"; break;
    case DType::U8: descr = "|u1"; break;
    case DType::I8: descr = "|i1"; break;
    case DType::BF16: return fail("bfloat16 has no .npy dtype; convert to float32 first");
  }
  if (t.bytes.size() != t.count() * dtypeSize(t.dtype))
    return fail("tensor holds " + std::to_string(t.bytes.size()) + " bytes, its shape needs " +
                std::to_string(t.count() * dtypeSize(t.dtype)));
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                       shapeString(t.shape) + ", }";
  std::size_t prefix = 10;
  if (header.size() + 1 + prefix > 65535 + 10) prefix = 12;
  const std::size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  std::vector<std::uint8_t> out;
  out.reserve(total + t.bytes.size());
  out.insert(out.end(), kMagic, kMagic + 6);
  out.push_back(prefix == 10 ? 1 : 2);
  out.push_back(0);
  const std::size_t len = header.size();
  out.push_back(std::uint8_t(len & 0xff));
  out.push_back(std::uint8_t((len >> 8) & 0xff));
  if (prefix == 12) {
    out.push_back(std::uint8_t((len >> 16) & 0xff));
    out.push_back(std::uint8_t((len >> 24) & 0xff));
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), t.bytes.begin(), t.bytes.end());
  return out;
}

Status writeNpy(const std::string& path, const Tensor& t) {
  auto bytes = encodeNpy(t);
  if (!bytes) return fail("cannot write " + path + ": " + bytes.error());
  return writeFileAtomic(path, bytes->data(), bytes->size());
}

}  // namespace qviz::core
