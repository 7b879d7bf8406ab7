// The soak driver; see soak.hpp.
#include "drive/soak.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "gpu/uniform_kernel.hpp"
#include "ui/commands.hpp"
#include "ui/explorer.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/headless.hpp"
#include "ui/qlora_session.hpp"
#include "util/fs.hpp"
#include "util/process_memory.hpp"

namespace qviz::drive {
namespace fs = std::filesystem;
using namespace ui;

namespace {

std::uint32_t crc32(const std::string& bytes) {
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

std::string be32(std::uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

// Files a stranger might hand over: empty, random, truncated, lying headers, a folder, text.
std::vector<std::string> badFiles(const fs::path& dir, const std::string& goodPng, std::mt19937& rng) {
  std::vector<std::string> out;
  auto put = [&](const std::string& name, const std::string& bytes) {
    const std::string p = (dir / name).string();
    if (core::writeFileAtomic(p, bytes)) out.push_back(p);
  };
  put("empty.png", "");
  std::string noise(4096, '\0');
  for (char& c : noise) c = char(rng() & 0xff);
  put("noise.png", noise);
  put("noise.jpg", "\xff\xd8\xff\xe0" + noise);
  if (auto png = core::readFile(goodPng, 1 << 26); png && png->size() > 300)
    put("truncated.png", std::string(reinterpret_cast<const char*>(png->data()), 300));
  // A valid IHDR claiming 60000 x 60000 RGBA and no data: a gigabyte allocation if believed.
  const std::string ihdr = "IHDR" + be32(60000) + be32(60000) + std::string("\x08\x06\x00\x00\x00", 5);
  put("huge.png", std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + ihdr + be32(crc32(ihdr)));
  put("text.png", "this is not an image\n");
  put("tensor_huge.npy", std::string("\x93NUMPY\x01\x00", 8) + std::string("\x76\x00", 2) +
                             "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }" +
                             std::string(118 - 70 - 1, ' ') + "\n");
  put("broken.safetensors", std::string("\xff\xff\xff\xff\xff\xff\x00\x00", 8) + "{");
  out.push_back((dir / "a_folder.png").string());
  fs::create_directories(dir / "a_folder.png");
  out.push_back((dir / "missing.png").string());
  return out;
}

}  // namespace

int runSoak(const SoakOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::mt19937 rng(o.seed);
  auto pick = [&](std::size_t n) { return std::size_t(rng() % std::max<std::size_t>(n, 1)); };
  auto uniform01 = [&] { return double(rng()) / 4294967296.0; };

  // A private shader tree: breaking and fixing files never touches the project's shaders.
  std::error_code ec;
  const fs::path dir = fs::temp_directory_path() / ("qviz_soak_" + std::to_string(::getpid()));
  fs::remove_all(dir, ec);
  fs::create_directories(dir / "files", ec);
  fs::copy(gpu::ShaderLibrary::defaultDir(), dir / "shaders", fs::copy_options::recursive, ec);
  if (ec) {
    std::fprintf(stderr, "qviz: error: cannot copy the shaders for the soak: %s\n", ec.message().c_str());
    return 2;
  }
  ::setenv("QVIZ_SHADER_DIR", (dir / "shaders").c_str(), 1);
  const fs::path userFile = dir / "shaders" / "user" / "quantizer.glsl";
  const fs::path quantGlsl = dir / "shaders" / "common" / "quant.glsl";
  const auto userGood = core::readFile(userFile.string(), 1 << 20);
  const auto quantGood = core::readFile(quantGlsl.string(), 1 << 20);
  if (!userGood || !quantGood) {
    std::fprintf(stderr, "qviz: error: the shader copy is incomplete\n");
    return 2;
  }
  const std::string userText(userGood->begin(), userGood->end()), quantText(quantGood->begin(), quantGood->end());

  const double rssStart = core::residentMiB();
  auto made = HeadlessUi::create(1280, 800, true);
  if (!made) {
    std::fprintf(stderr, "qviz: error: %s\n", made.error().c_str());
    return 2;
  }
  HeadlessUi& ui = **made;

  std::vector<std::string> good;
  const fs::path images = fs::path(defaultImagePath()).parent_path();
  for (const auto& e : fs::directory_iterator(images, ec)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".pgm" || ext == ".ppm")
      good.push_back(e.path().string());
  }
  std::sort(good.begin(), good.end());
  if (good.empty()) good.push_back(defaultImagePath());
  const std::vector<std::string> bad = badFiles(dir / "files", defaultImagePath(), rng);

  AppState s;
  s.doc.imagePath = defaultImagePath();
  s.doc.path = ComputePath::GpuCompute;
  Commands cmd;
  std::map<std::string, std::uint64_t> actions;
  std::uint64_t frames = 0, glErrors = 0;
  std::string firstGlError;
  std::string lastAction = "start";
  bool userBroken = false, quantBroken = false;
  const double warmup = o.warmupSeconds > 0 ? o.warmupSeconds : std::min(60.0, o.seconds / 5);
  double rssWarm = 0, rssPeak = 0, heapWarm = 0;
  auto frame = [&](int n) {
    if (auto st = ui.frames(s, cmd, n); !st) {
      ++glErrors;
      if (firstGlError.empty()) firstGlError = st.error();
    }
    frames += std::uint64_t(n);
    if (auto st = ui.checkGl("soak frame"); !st) {
      ++glErrors;
      if (firstGlError.empty()) firstGlError = st.error() + " (after: " + lastAction + ")";
    }
    rssPeak = std::max(rssPeak, core::residentMiB());
  };
  frame(2);
  // A quiet point: the GL and the background workers done, free pages handed back, memory read.
  struct Sample {
    double t, rss, heap;
  };
  std::vector<Sample> samples;
  auto sample = [&] {
    ui.finish();
    s.derived.metricsWorker->waitIdle();
    (void)core::releaseFreeMemory();
    const core::ProcessMemory m = core::processMemory();
    samples.push_back({elapsed(), m.rssMiB, m.heapInUseMiB});
    return samples.back();
  };

  using Action = std::pair<const char*, std::function<void()>>;
  const std::vector<Action> table = {
      {"open a good image", [&] { cmd.openFile(good[pick(good.size())]); }},
      // A user pausing between gestures: the explorer hands free pages back after 2 s idle. The
      // soak also takes a memory sample here (once the GL and the workers are done).
      {"pause: free pages handed back", [&] { sample(); }},
      {"open a bad file", [&] { cmd.openFile(bad[pick(bad.size())]); }},
      {"bits", [&] { const int b = 1 + int(pick(16)); cmd.edit("bits", [b](Document& d) { d.quant.bits = b; }); }},
      {"rounding", [&] {
         const auto r = core::Rounding(pick(6));
         cmd.edit("rounding", [r](Document& d) { d.quant.rounding = r; if (r != core::Rounding::Nearest) d.quant.dither = core::Dither::None; });
       }},
      {"dither", [&] {
         const auto di = core::Dither(pick(3));
         cmd.edit("dither", [di](Document& d) { d.quant.dither = di; if (di != core::Dither::None) d.quant.rounding = core::Rounding::Nearest; });
       }},
      {"per-channel bits", [&] {
         const std::array<int, 3> c{int(pick(9)), int(pick(9)), int(pick(9))};
         cmd.edit("channel bits", [c](Document& d) { d.quant.channelBits = c; });
       }},
      {"gray", [&] { cmd.edit("gray", [](Document& d) { d.quant.gray = !d.quant.gray; }); }},
      {"seed", [&] { const auto v = std::uint32_t(rng()); cmd.edit("seed", [v](Document& d) { d.quant.seed = v; }); }},
      {"compute path", [&] { const auto p = ComputePath(pick(3)); cmd.edit("path", [p](Document& d) { d.path = p; }); }},
      {"view", [&] { const auto v = ViewMode(pick(4)); cmd.edit("view", [v](Document& d) { d.view = v; }); }},
      {"error map", [&] {
         const float g = float(1 + pick(64));
         cmd.edit("error", [g](Document& d) { d.errorGain = g; d.errorSigned = !d.errorSigned; });
       }},
      {"levels grid", [&] {
         const std::array<int, 4> l{1 + int(pick(8)), 1 + int(pick(8)), 1 + int(pick(8)), 1 + int(pick(8))};
         cmd.edit("levels", [l](Document& d) { d.levelDepths = l; });
       }},
      {"number line", [&] {
         const int b = 1 + int(pick(4));
         const auto g = core::LevelGrid(pick(4));
         const double v = uniform01() * 4 - 2;
         cmd.edit("number line", [b, g, v](Document& d) {
           d.lineBits = b;
           d.lineGrid = g;
           if (!d.lineValues.empty()) d.lineValues[0] = v;
         });
       }},
      {"weights", [&] {
         const auto f = core::tensorFormats()[pick(core::tensorFormats().size())].format;
         const int bs = 16 << pick(6);
         const auto src = WeightSource(pick(3));
         const bool dq = pick(2) == 0;
         cmd.edit("weights", [f, bs, src, dq](Document& d) {
           d.weights.format = f;
           d.weights.blocksize = bs;
           d.weights.source = src;
           d.weights.doubleQuant = dq;
         });
       }},
      {"memory", [&] {
         const auto& names = core::modelPresetNames();
         const std::string preset = names[pick(names.size())];
         const std::uint64_t rank = 1ull << pick(9);
         cmd.edit("memory", [preset, rank](Document& d) {
           d.memory.preset = preset;
           d.memory.rank = rank;
           d.memory.paged = !d.memory.paged;
         });
       }},
      {"switch panels", [&] {
         PanelOpen p;
         for (bool* f : {&p.image, &p.levels, &p.metrics, &p.histogram, &p.numberLine, &p.compare, &p.weights, &p.memory,
                         &p.qlora, &p.concepts, &p.shaders})
           *f = pick(3) == 0;
         s.ui.open = p;
       }},
      {"presenter mode", [&] {
         s.ui.presenter = !s.ui.presenter;
         s.ui.fontScale = s.ui.presenter ? 2.0f : 1.0f;
       }},
      {"resize", [&] { (void)ui.resize(320 + int(pick(1600)), 240 + int(pick(1000))); }},
      {"user uniforms", [&] {
         const double g = 0.25 + uniform01() * 3.75, f = double(pick(2));
         cmd.edit("user uniforms", [g, f](Document& d) {
           d.userUniforms["u_gamma"] = g;
           d.userUniforms["u_floor"] = f;
         });
       }},
      {"break or fix the user shader", [&] {
         userBroken = !userBroken;
         (void)core::writeFileAtomic(userFile.string(), userBroken ? userText + "\nfloat broken( { \n" : userText);
       }},
      {"break or fix a built-in shader", [&] {
         quantBroken = !quantBroken;
         (void)core::writeFileAtomic(quantGlsl.string(), quantBroken ? "syntax error here;\n" + quantText : quantText);
       }},
      {"train", [&] {
         s.ui.open.qlora = true;
         if (s.derived.qlora && s.derived.qlora->ready()) s.derived.qlora->start();
       }},
      {"cancel training", [&] {
         if (s.derived.qlora) {
           if (pick(2)) s.derived.qlora->pause();
           else s.derived.qlora->reset();
         }
       }},
      {"lora settings", [&] {
         const int r = 1 << pick(6);
         const float lr = float(0.005 + uniform01() * 0.1);
         cmd.edit("lora", [r, lr](Document& d) {
           d.lora.rank = r;
           d.lora.lr = lr;
           d.lora.doubleQuant = !d.lora.doubleQuant;
         });
       }},
  };

  // QVIZ_SOAK_SKIP="word,word": leave out the actions whose names contain a word (to find what
  // a problem depends on).
  std::vector<const Action*> chosen;
  const std::string skip = std::getenv("QVIZ_SOAK_SKIP") ? std::getenv("QVIZ_SOAK_SKIP") : "";
  for (const Action& a : table) {
    bool drop = false;
    std::size_t start = 0;
    while (start <= skip.size() && !skip.empty()) {
      const std::size_t end = std::min(skip.find(',', start), skip.size());
      const std::string word = skip.substr(start, end - start);
      drop = drop || (!word.empty() && std::string(a.first).find(word) != std::string::npos);
      start = end + 1;
    }
    if (!drop) chosen.push_back(&a);
  }
  if (chosen.empty()) chosen.push_back(&table.front());
  bool warm = false;
  std::uint64_t total = 0;
  std::size_t programsWarm = 0;
  while (elapsed() < o.seconds) {
    const Action& a = *chosen[pick(chosen.size())];
    lastAction = a.first;
    a.second();
    ++actions[a.first];
    ++total;
    frame(1 + int(pick(3)));
    if (!warm && elapsed() >= warmup) {
      warm = true;
      const Sample m = sample();
      rssWarm = m.rss;
      heapWarm = m.heap;
      if (s.derived.gpu) programsWarm = s.derived.gpu->shaders().names().size();
    }
  }
  // Leave the files as they were and let the workers finish before measuring.
  (void)core::writeFileAtomic(userFile.string(), userText);
  (void)core::writeFileAtomic(quantGlsl.string(), quantText);
  if (s.derived.qlora) s.derived.qlora->pause();
  frame(3);
  s.derived.metricsWorker->waitIdle();
  const Sample last = sample();
  const double rssEnd = last.rss, heapEnd = last.heap;
  if (!warm) rssWarm = rssEnd, heapWarm = heapEnd;
  // Quiet-point RSS goes up and down with the state the actions leave (which panels are open,
  // the QLoRA rank, the image). Growth: how far the highest quiet-point RSS after the warm-up
  // rises above the highest one during it. A leak raises it steadily; a state does not.
  double rssMaxWarm = rssWarm, rssMaxAfter = rssEnd;
  for (const Sample& m : samples) {
    if (m.t < warmup) rssMaxWarm = std::max(rssMaxWarm, m.rss);
    else rssMaxAfter = std::max(rssMaxAfter, m.rss);
  }
  const double growth = rssMaxAfter - rssMaxWarm;
  const std::size_t programsEnd = s.derived.gpu ? s.derived.gpu->shaders().names().size() : 0;
  const std::uint64_t evictions = s.derived.gpu ? s.derived.gpu->shaders().evictions() : 0;
  const std::size_t capacity = s.derived.gpu ? s.derived.gpu->shaders().capacity() : 0;
  const bool memoryOk = growth <= o.growthBoundMiB;

  std::printf("soak: %.0f s, %llu actions, %llu frames (%.1f fps) on %s\n", elapsed(),
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(frames), double(frames) / elapsed(),
              ui.renderer().c_str());
  for (const auto& [name, n] : actions) std::printf("  %-32s %llu\n", name.c_str(), static_cast<unsigned long long>(n));
  std::printf("soak: shader programs kept: %zu after the warm-up, %zu at the end (at most %zu; %llu evicted)\n",
              programsWarm, programsEnd, capacity, static_cast<unsigned long long>(evictions));
  std::printf("soak: GL errors %llu%s%s\n", static_cast<unsigned long long>(glErrors), firstGlError.empty() ? "" : ", first: ",
              firstGlError.c_str());
  std::printf("soak: memory at %zu quiet points (GL finished, workers idle, free pages handed back): RSS %.1f MiB at "
              "start, at most %.1f during the %.0f s warm-up, at most %.1f after it, %.1f at the end (peak while busy "
              "%.1f); heap in use %.1f -> %.1f MiB; growth %.1f MiB, bound %.0f MiB: %s\n",
              samples.size(), rssStart, rssMaxWarm, warmup, rssMaxAfter, rssEnd, rssPeak, heapWarm, heapEnd, growth,
              o.growthBoundMiB, memoryOk ? "ok" : "EXCEEDED");
  if (!o.json.empty()) {
    nlohmann::ordered_json j;
    j["seconds"] = elapsed();
    j["actions"] = total;
    j["frames"] = frames;
    j["gl_errors"] = glErrors;
    j["rss_start_mib"] = rssStart;
    j["rss_warm_mib"] = rssWarm;
    j["rss_end_mib"] = rssEnd;
    j["rss_peak_mib"] = rssPeak;
    j["rss_max_warm_mib"] = rssMaxWarm;
    j["rss_max_after_warm_mib"] = rssMaxAfter;
    j["heap_warm_mib"] = heapWarm;
    j["heap_end_mib"] = heapEnd;
    j["growth_bound_mib"] = o.growthBoundMiB;
    j["programs_warm"] = programsWarm;
    j["programs_end"] = programsEnd;
    j["program_capacity"] = capacity;
    j["programs_evicted"] = evictions;
    for (const auto& [name, n] : actions) j["by_action"][name] = n;
    for (const Sample& m : samples) j["samples"].push_back({{"t", m.t}, {"rss_mib", m.rss}, {"heap_mib", m.heap}});
    if (auto st = core::writeFileAtomic(o.json, j.dump(2) + "\n"); !st) std::fprintf(stderr, "qviz: %s\n", st.error().c_str());
  }
  s.derived.metricsWorker->waitIdle();
  s.derived.qlora.reset();
  s.derived.releaseGl();
  made->reset();
  fs::remove_all(dir, ec);
  return glErrors == 0 && memoryOk ? 0 : 1;
}

}  // namespace qviz::drive
