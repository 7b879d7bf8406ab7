// The levels grid's data (ui/levels_model.hpp).
#include "ui/levels_model.hpp"

#include <algorithm>

#include "ui/app_state.hpp"

namespace qviz::ui {
using namespace qviz::core;

void updateLevelTiles(AppState& s) {
  Derived& d = s.derived;
  if (!s.ui.open.levels || d.levelsRevision == s.revision || d.image.empty()) return;
  UniformSettings q = s.doc.quant;
  q.channelBits = {0, 0, 0};
  q.bits = 0;
  const ViewInputs inputs{d.loadedPath, q, s.doc.path};
  d.levelsRevision = s.revision;
  if (d.levelsInputs == inputs && d.levelsDepths == s.doc.levelDepths) return;
  d.levelsInputs = inputs;
  d.levelsDepths = s.doc.levelDepths;
  d.levels.resize(s.doc.levelDepths.size());
  const Image reference = quantizerReference(d.image, q);
  for (std::size_t i = 0; i < d.levels.size(); ++i) {
    LevelTile& t = d.levels[i];
    q.bits = std::clamp(s.doc.levelDepths[i], 1, d.image.bitDepth());
    t.bits = q.bits;
    Image out;
    if (!quantizeUniformInto(reference, q, out)) continue;
    t.metrics = computeMetrics(d.image, reference, out, q);
    t.texture.upload(out);
  }
  d.levelsRevision = s.revision;
}

}  // namespace qviz::ui
