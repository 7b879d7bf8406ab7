// util/sha256.hpp against the FIPS 180-4 example digests and the sha256 values in the reference
// vectors' meta.json (blocks.bin whole; the input's and dequant.npy's float32 data after their
// 128-byte headers).
#include <catch2/catch.hpp>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"
#include "util/sha256.hpp"

using namespace qviz::core;

namespace {
std::string readAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
std::string hex(const std::string& s) { return sha256Hex(s.data(), s.size()); }
}  // namespace

TEST_CASE("sha256: the standard's examples", "[sha256]") {
  CHECK(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  // A million 'a' given in uneven pieces, and 55/56/64-byte messages (the padding's edge cases).
  const std::string a(1000, 'a');
  Sha256 m;
  std::size_t given = 0;
  for (std::size_t piece = 1; given < 1000000; piece = piece % 97 + 1) {
    const std::size_t take = std::min(piece, 1000000 - given);
    m.update(a.data(), take);
    given += take;
  }
  CHECK(m.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  const std::vector<std::pair<std::size_t, const char*>> edges = {
      {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
      {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
      {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
      {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
      {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
  };
  for (const auto& [len, digest] : edges) {
    const std::string s(len, 'x');
    INFO(len);
    CHECK(hex(s) == digest);
    Sha256 split;
    split.update(s.data(), len / 2);
    split.update(s.data() + len / 2, len - len / 2);
    CHECK(split.hexDigest() == digest);
  }
  Sha256 again;
  again.update("abc", 3);
  (void)again.digest();
  again.reset();
  again.update("abc", 3);
  CHECK(again.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256: the reference vectors' own digests", "[sha256]") {
  std::size_t checked = 0;
  for (const char* dir : {"normal_8192.q8_0", "normal_8192.q4_K", "heavy_8192.mx_fp4_e2m1", "normal_8192.nvfp4",
                          "heavy_8192.iq4_xs"}) {
    INFO(dir);
    const std::string base = qviz::test::data(std::string("vectors/formats/") + dir + "/");
    const auto meta = nlohmann::json::parse(readAll(base + "meta.json"));
    const std::string blocks = readAll(base + "blocks.bin"), deq = readAll(base + "dequant.npy");
    const std::string input = readAll(base + std::string(meta["input"]));
    REQUIRE(blocks.size() == std::size_t(meta["blocks_size"]));
    REQUIRE(deq.size() > 128);
    CHECK(hex(blocks) == meta["blocks_sha256"]);
    CHECK(hex(deq.substr(128)) == meta["dequant_sha256"]);
    CHECK(hex(input.substr(128)) == meta["input_sha256"]);
    ++checked;
  }
  CHECK(checked == 5);
}
