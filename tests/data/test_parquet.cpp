// The Parquet reader against files written by an independent implementation (arrow-rs, through
// tests/data/make_parquet.mjs): every codec x encoding x page version x optional column, with the
// exact strings compared. Plus damaged files: clear errors, never a crash.
#include "data/parquet/parquet_reader.h"
#include "mistudio/result.h"
#include "test_support.h"

#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

using namespace mistudio;
using namespace mistudio::data::parquet;

namespace {

std::string parquetDir() {
    return std::string(qgetenv("MISTUDIO_SOURCE_DIR").constData()) + "/tests/data/parquet/";
}

std::vector<uint8_t> readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct ReadResult {
    std::vector<std::string> texts;
    std::vector<uint64_t> rows;
    ParquetStats stats;
};

ReadResult readAll(const std::string& file, const std::string& column = "text") {
    ParquetStringReader r(openFileSource(parquetDir() + file), column, file);
    ReadResult out;
    std::string s;
    uint64_t row = 0;
    while (r.next(s, &row)) {
        out.texts.push_back(s);
        out.rows.push_back(row);
    }
    out.stats = r.stats();
    return out;
}

std::string errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Exception& e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestParquet : public QObject {
    Q_OBJECT
private:
    nlohmann::json m_expected;

private Q_SLOTS:
    void initTestCase() {
        std::ifstream in(parquetDir() + "expected.json");
        QVERIFY2(in.good(), "tests/data/parquet/expected.json is missing");
        m_expected = nlohmann::json::parse(in);
        QVERIFY(m_expected.size() >= 40);
    }

    void everyCodecEncodingAndPageVersion() {
        int checked = 0;
        for (const auto& [file, info] : m_expected.items()) {
            if (info.contains("error"))
                continue;
            const ReadResult got = readAll(file);
            const auto want = info["texts"].get<std::vector<std::string>>();
            QCOMPARE(got.texts.size(), want.size());
            for (size_t i = 0; i < want.size(); ++i)
                QVERIFY2(got.texts[i] == want[i], qPrintable(QString::fromStdString(
                                                      file + ": string " + std::to_string(i))));
            QCOMPARE(got.stats.nulls, info["nulls"].get<uint64_t>());
            QVERIFY(got.rows == info["rows"].get<std::vector<uint64_t>>());
            QCOMPARE(got.stats.rowGroups, info["row_groups"].get<uint32_t>());
            QVERIFY(got.stats.rowGroups > 1);
            const bool v2 = info["page_version"] == 2;
            QVERIFY2((v2 ? got.stats.dataPagesV2 : got.stats.dataPagesV1) > 0, file.c_str());
            QCOMPARE(v2 ? got.stats.dataPagesV1 : got.stats.dataPagesV2, 0u);
            const bool dict = info["encoding"] != "PLAIN";
            QCOMPARE(got.stats.dictionaryPages, dict ? got.stats.rowGroups : 0u);
            if (!dict) // small page limit: several pages per column chunk
                QVERIFY(got.stats.dataPagesV1 + got.stats.dataPagesV2 > got.stats.rowGroups);
            ++checked;
        }
        // 4 codecs x (v1: 3 encodings, v2: 2) x required/optional, and 6 with statistics.
        QCOMPARE(checked, 46);
    }

    void unsupportedFeaturesAreNamed() {
        for (const auto& [file, info] : m_expected.items()) {
            if (!info.contains("error"))
                continue;
            const std::string msg = errorOf([&] { readAll(file); });
            QVERIFY2(msg.find(info["error"].get<std::string>()) != std::string::npos,
                     (file + ": " + msg).c_str());
            QVERIFY2(msg.find("not supported") != std::string::npos, msg.c_str());
            QVERIFY2(msg.find(file) != std::string::npos, msg.c_str());
        }
        const std::string msg = errorOf([] { readAll("unsupported_delta_byte_array.parquet"); });
        QVERIFY2(msg.find("DELTA_BYTE_ARRAY encoding in column 'text' of "
                          "unsupported_delta_byte_array.parquet is not supported") == 0,
                 msg.c_str());
    }

    void columnErrors() {
        const std::string file = "snappy_v1_plain_required.parquet";
        std::string msg = errorOf([&] { readAll(file, "body"); });
        QVERIFY2(msg.find("field 'body' not found in " + file + "; columns present: id, text") == 0,
                 msg.c_str());
        QVERIFY(msg.find("--text-field") != std::string::npos);
        msg = errorOf([&] { readAll(file, "id"); });
        QVERIFY2(msg.find("has type INT64") != std::string::npos, msg.c_str());
    }

    void tamperedFilesGiveClearErrors() {
        const std::string file = "zstd_v2_dict_optional.parquet";
        const auto good = readBytes(parquetDir() + file);
        QVERIFY(good.size() > 100);
        auto refused = [](std::vector<uint8_t> b) -> std::string {
            try {
                ParquetStringReader r(memorySource(b.data(), b.size()), "text", "t.parquet");
                std::string s;
                while (r.next(s)) {
                }
            } catch (const Exception& e) {
                return e.what();
            }
            return {};
        };
        // Truncated: the footer magic is gone.
        std::string msg = refused({good.begin(), good.end() - 100});
        QVERIFY2(msg.find("PAR1") != std::string::npos, msg.c_str());
        // Bad leading magic.
        auto b = good;
        b[0] = 'X';
        msg = refused(b);
        QVERIFY2(msg.find("magic") != std::string::npos, msg.c_str());
        // Footer length larger than the file.
        b = good;
        b[b.size() - 8] = 0xff;
        b[b.size() - 5] = 0x7f;
        msg = refused(b);
        QVERIFY2(msg.find("footer length") != std::string::npos, msg.c_str());
        // Data removed, footer kept: every offset points outside the file or at garbage.
        uint32_t len = 0;
        std::memcpy(&len, good.data() + good.size() - 8, 4);
        std::vector<uint8_t> cut(good.begin(), good.begin() + 4);
        cut.insert(cut.end(), good.end() - 8 - len, good.end());
        msg = refused(cut);
        QVERIFY2(msg.find("t.parquet") != std::string::npos && !msg.empty(), msg.c_str());
        // Garbage footer.
        b = good;
        for (size_t i = b.size() - 8 - len; i < b.size() - 8; ++i)
            b[i] = 0xee;
        msg = refused(b);
        QVERIFY2(msg.find("corrupt footer") != std::string::npos, msg.c_str());
    }

    // Every single-byte change of the footer, every truncation, and random corruption of the
    // pages must end in a value or a clean refusal (run under ASan in the sanitizer build).
    void mutationsNeverCrash() {
        for (const char* file :
             {"gzip_v1_plaindict_optional.parquet", "snappy_v2_plain_optional.parquet"}) {
            const auto good = readBytes(parquetDir() + file);
            QVERIFY(parseParquetBuffer(good.data(), good.size()) > 0);
            uint32_t len = 0;
            std::memcpy(&len, good.data() + good.size() - 8, 4);
            for (size_t i = good.size() - 8 - len; i < good.size(); ++i)
                for (uint8_t v : {uint8_t(0), uint8_t(0xff), uint8_t(good[i] + 1)}) {
                    auto b = good;
                    b[i] = v;
                    parseParquetBuffer(b.data(), b.size());
                }
            for (size_t n = 0; n < good.size(); n += 7)
                QCOMPARE(parseParquetBuffer(good.data(), n), -1LL);
            std::mt19937 rng(7);
            for (int k = 0; k < 3000; ++k) {
                auto b = good;
                for (int j = 0; j < 4; ++j)
                    b[rng() % (b.size() - 8 - len)] = static_cast<uint8_t>(rng());
                parseParquetBuffer(b.data(), b.size());
            }
        }
    }

    // Inputs the fuzz smoke found (tests/data/parquet/regressions): an empty page body made the
    // in-memory source call memcpy with a null destination (UBSan, in the asan preset). Each must
    // parse or be refused; parseParquetBuffer returns -1 for a refusal.
    void fuzzRegressions() {
        const std::string dir = parquetDir() + "regressions";
        int seen = 0;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            const auto bytes = readBytes(entry.path().string());
            QVERIFY(!bytes.empty());
            const long long rows = parseParquetBuffer(bytes.data(), bytes.size());
            QVERIFY2(rows >= -1, entry.path().c_str());
            ++seen;
        }
        QVERIFY(seen >= 3);
    }
};

QTEST_GUILESS_MAIN(TestParquet)
#include "test_parquet.moc"
