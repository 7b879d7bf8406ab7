// Annotation parsing for workshop shaders; see shader_annotations.hpp.
#include "gpu/shader_annotations.hpp"

#include <charconv>
#include <cmath>
#include <set>

namespace qviz::gpu {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits on blanks.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\r') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool isIdent(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s.front())) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

// A finite number (from_chars: no locale, no exceptions); GLSL's "1.0f" suffix is accepted.
bool number(std::string_view s, double& out) {
  if (!s.empty() && (s.back() == 'f' || s.back() == 'F')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

// `uniform [precision] <type> <name>;` with nothing else before the comment.
bool declaration(std::string_view code, std::string& type, std::string& name) {
  auto w = words(code);
  if (w.empty() || w.front() != "uniform") return false;
  w.erase(w.begin());
  if (!w.empty() && (w.front() == "highp" || w.front() == "mediump" || w.front() == "lowp")) w.erase(w.begin());
  if (w.size() == 3 && w[2] == ";") w.pop_back();
  if (w.size() != 2 || w[1].size() < 2 || w[1].back() != ';') return false;
  type = std::string(w[0]);
  const std::string_view n = w[1].substr(0, w[1].size() - 1);
  if (!isIdent(n)) return false;
  name = std::string(n);
  return true;
}

}  // namespace

AnnotationSet parseAnnotations(std::string_view source, const std::string& file) {
  AnnotationSet out;
  std::set<std::string> seen;
  auto warn = [&](int line, std::string message) {
    ShaderDiagnostic d;
    d.file = file;
    d.sourceIndex = 0;
    d.line = line;
    d.severity = "warning";
    d.message = std::move(message);
    out.problems.push_back(std::move(d));
  };
  std::size_t pos = 0;
  int lineNo = 0;
  while (pos <= source.size()) {
    std::size_t end = source.find('\n', pos);
    if (end == std::string_view::npos) end = source.size();
    const std::string_view line = source.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    const std::size_t comment = line.find("//");
    if (comment == std::string_view::npos) continue;
    const std::string_view note = trim(line.substr(comment + 2));
    if (note.empty() || note.front() != '@') continue;
    const auto args = words(note);
    const std::string_view tag = args.front();
    if (tag != "@slider" && tag != "@toggle") {
      warn(lineNo, "unknown annotation '" + std::string(tag.substr(0, 64)) + "' (use @slider MIN MAX DEFAULT or @toggle)");
      continue;
    }
    UniformControl c;
    c.line = lineNo;
    if (!declaration(line.substr(0, comment), c.type, c.name)) {
      warn(lineNo, std::string(tag) + " must follow a single uniform declaration on the same line (uniform float u_x;)");
      continue;
    }
    if (seen.count(c.name)) {
      warn(lineNo, "uniform '" + c.name + "' already has a control");
      continue;
    }
    if (tag == "@slider") {
      c.kind = UniformControl::Kind::Slider;
      if (c.type != "float" && c.type != "int" && c.type != "uint") {
        warn(lineNo, "@slider needs a float, int or uint uniform ('" + c.name + "' is " + c.type + ")");
        continue;
      }
      double v[3] = {0, 0, 0};
      if (args.size() != 4 || !number(args[1], v[0]) || !number(args[2], v[1]) || !number(args[3], v[2])) {
        warn(lineNo, "@slider takes three numbers: MIN MAX DEFAULT");
        continue;
      }
      if (!(v[0] < v[1])) {
        warn(lineNo, "@slider MIN must be less than MAX");
        continue;
      }
      if (v[2] < v[0] || v[2] > v[1]) {
        warn(lineNo, "@slider DEFAULT must lie between MIN and MAX");
        continue;
      }
      if (c.type != "float") {
        for (double& x : v)
          if (x != std::floor(x) || std::fabs(x) > 2147483647.0) x = std::nan("");
        if (std::isnan(v[0]) || std::isnan(v[1]) || std::isnan(v[2])) {
          warn(lineNo, "@slider on an " + c.type + " uniform takes whole numbers");
          continue;
        }
        if (c.type == "uint" && v[0] < 0) {
          warn(lineNo, "@slider on a uint uniform cannot go below 0");
          continue;
        }
      }
      c.min = v[0];
      c.max = v[1];
      c.value = v[2];
    } else {
      c.kind = UniformControl::Kind::Toggle;
      if (c.type != "bool" && c.type != "int") {
        warn(lineNo, "@toggle needs a bool or int uniform ('" + c.name + "' is " + c.type + ")");
        continue;
      }
      c.min = 0;
      c.max = 1;
      c.value = 0;
      if (args.size() == 2) {
        const std::string_view a = args[1];
        if (a == "on" || a == "true" || a == "1") c.value = 1;
        else if (!(a == "off" || a == "false" || a == "0")) {
          warn(lineNo, "@toggle takes an optional on or off");
          continue;
        }
      } else if (args.size() > 2) {
        warn(lineNo, "@toggle takes an optional on or off");
        continue;
      }
    }
    seen.insert(c.name);
    out.controls.push_back(std::move(c));
  }
  return out;
}

}  // namespace qviz::gpu
