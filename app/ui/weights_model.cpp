// Weights panel model: tensors in, quantized tensors and statistics out.
#include "ui/weights_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"

namespace qviz::ui {
using namespace qviz::core;

std::vector<float> syntheticWeights(WeightSource source, std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform01 = [&] { return (double(rng() >> 8) + 0.5) / 16777216.0; };  // (0, 1), 24 bits
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (source) {
      case WeightSource::Uniform: v[i] = float(uniform01() * 2.0 - 1.0); break;
      case WeightSource::Normal:
      case WeightSource::HeavyTailed:
      case WeightSource::File: {
        const double r = std::sqrt(-2.0 * std::log(uniform01())), t = 2.0 * M_PI * uniform01();
        v[i] = float(r * std::cos(t));
        break;
      }
    }
  }
  if (source == WeightSource::HeavyTailed)
    for (std::size_t i = 0; i < n; ++i)
      if (rng() % 1000 == 0) v[i] = (rng() & 1 ? 20.0f : -20.0f) * float(0.75 + 0.5 * uniform01());
  return v;
}

namespace {
Result<std::vector<float>> loadTensorFile(const WeightsDoc& doc, std::string& description) {
  const std::string ext = std::filesystem::path(doc.path).extension().string();
  Result<Tensor> t = fail("unsupported tensor file (use .npy or .safetensors): " + doc.path);
  std::string name;
  if (ext == ".npy") {
    t = readNpy(doc.path);
  } else if (ext == ".safetensors") {
    auto index = listSafetensors(doc.path);
    if (!index) return fail(index.error());
    if (index->tensors.empty()) return fail(doc.path + " holds no tensors");
    name = doc.tensorName.empty() ? index->tensors.front().name : doc.tensorName;
    t = loadSafetensor(doc.path, name);
  }
  if (!t) return fail(t.error());
  if (t->dtype != DType::F32 && t->dtype != DType::F16 && t->dtype != DType::BF16)
    return fail(doc.path + ": the weights panel needs a float tensor, not " + dtypeName(t->dtype));
  std::vector<float> values = toFloat32(*t);
  if (auto st = checkFinite(values.data(), values.size()); !st) return fail(doc.path + ": " + st.error());
  description = std::filesystem::path(doc.path).filename().string() + (name.empty() ? "" : ": " + name) + " " +
                shapeString(t->shape) + " " + dtypeName(t->dtype);
  return values;
}
}  // namespace

std::vector<float> blockLevels(const QuantizedTensor& q, std::size_t block) {
  const std::size_t bs = std::size_t(q.blocksize);
  const std::size_t codes = std::size_t(1) << formatCodeBits(q.format);
  if (bs == 0 || block * bs >= std::max<std::size_t>(q.n, 1)) return {};
  QuantizedTensor one;
  one.format = q.format;
  one.blocksize = q.blocksize;
  one.doubleQuant = q.doubleQuant;
  one.n = bs;
  one.absmax = {q.absmax[block]};
  if (!q.zeroPoint.empty()) one.zeroPoint = {q.zeroPoint[block]};
  if (q.doubleQuant && !q.absmaxDq.empty()) one.absmaxDq = {q.absmaxDq[block]};
  std::vector<float> levels, out(bs);
  for (std::size_t first = 0; first < codes; first += bs) {
    one.codes.assign(bs, 0);
    for (std::size_t i = 0; i < bs; ++i) one.codes[i] = std::uint8_t(std::min(codes - 1, first + i));
    dequantizeBlockwise(one, out.data());
    levels.insert(levels.end(), out.begin(), out.end());
  }
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return levels;
}

void updateWeightsView(const WeightsDoc& doc, WeightsView& view) {
  WeightsDoc key = doc;
  key.block = 0;
  if (view.inputs == key) return;
  const bool sameTensor = view.inputs && view.error.empty() && view.inputs->source == key.source &&
                          view.inputs->size == key.size && view.inputs->seed == key.seed && view.inputs->path == key.path &&
                          view.inputs->tensorName == key.tensorName;
  view.inputs = key;
  const auto t0 = std::chrono::steady_clock::now();
  if (!sameTensor) {
    view.error.clear();
    if (doc.source == WeightSource::File) {
      auto loaded = loadTensorFile(doc, view.description);
      if (!loaded) {
        view.error = loaded.error();
        view.values.clear();
        return;
      }
      view.values = std::move(*loaded);
    } else {
      const char* names[] = {"normal", "heavy-tailed (0.1% outliers)", "uniform"};
      view.values = syntheticWeights(doc.source, std::size_t(std::clamp(doc.size, 64, 1 << 24)), doc.seed);
      view.description = std::string(names[int(doc.source)]) + ", " + std::to_string(view.values.size()) + " values, seed " +
                         std::to_string(doc.seed);
    }
  }
  if (view.values.empty()) {
    view.error = "the tensor is empty";
    return;
  }
  BlockwiseSettings s{doc.format, doc.blocksize, doc.doubleQuant};
  auto q = quantizeBlockwise(view.values.data(), view.values.size(), s);
  if (!q) {
    view.error = q.error();
    return;
  }
  view.error.clear();
  view.q = std::move(*q);
  view.dequant.resize(view.values.size());
  dequantizeBlockwise(view.q, view.dequant.data());
  view.stats = formatStats(view.values.data(), view.dequant.data(), view.values.size(), s);
  view.codeUse = codeUse(view.q);
  const std::size_t bs = std::size_t(view.q.blocksize), nb = (view.values.size() + bs - 1) / bs;
  view.blockRmse.assign(nb, 0.0);
  for (std::size_t b = 0; b < nb; ++b) {
    double sum = 0;
    const std::size_t end = std::min(view.values.size(), (b + 1) * bs);
    for (std::size_t i = b * bs; i < end; ++i) {
      const double e = double(view.dequant[i]) - double(view.values[i]);
      sum += e * e;
    }
    view.blockRmse[b] = std::sqrt(sum / double(end - b * bs));
  }
  // Every format of the table side by side at this blocksize (formats with a fixed blocksize use theirs).
  view.table.clear();
  std::vector<float> dq(view.values.size());
  for (const FormatDesc& f : tensorFormats()) {
    BlockwiseSettings fs{f.format, doc.blocksize, doc.doubleQuant && f.doubleQuant};
    auto qf = quantizeBlockwise(view.values.data(), view.values.size(), fs);
    if (!qf) continue;
    dequantizeBlockwise(*qf, dq.data());
    view.table.push_back({f.format, formatStats(view.values.data(), dq.data(), dq.size(), fs)});
  }
  view.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace qviz::ui
