// PlaygroundSession on a real pretrained model (fixtures/models/aidreams260k) with a random ReLU
// SAE imported into a project: every per-token reading is checked against a recomputation that
// does not use the session (the tokenizer's own post-processor for the BOS, the model's forward
// at the hook, and the SAE's encoder written out as ReLU((x - b_dec) W_enc + b_enc)).
#include "mistudio/playground.h"
#include "mistudio/result.h"
#include "mistudio/tokenizer.h"
#include "model/transformer.h"
#include "sae/saelens.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>
#include <map>

using namespace mistudio;

namespace {

const QString kModel = QStringLiteral("fixtures/models/aidreams260k");
const char* kHook = "blocks.2.hook_resid_post";
constexpr int64_t kDSae = 96;

void writeRandomSae(const std::string& dir, int64_t dIn) {
    at::manual_seed(5);
    sae::SaeModel m;
    m.kind = sae::InferenceKind::ReLU;
    m.encT = at::randn({kDSae, dIn}) * 0.2;
    m.bEnc = -at::rand({kDSae}) * 2;
    m.wDec = at::randn({kDSae, dIn});
    m.wDec = m.wDec / m.wDec.norm(2, {1}, true);
    m.bDec = at::randn({dIn}) * 0.1;
    sae::SaeLensMetadata meta;
    meta.modelName = "aidreams260k";
    meta.hookName = kHook;
    meta.contextSize = 128;
    sae::saveSaeLens(dir, m, meta);
}

} // namespace

class TestPlayground : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void readingsMatchDirectRecomputation();
    void longTextsAreCutAtTheContext();
    void badInputIsRefused();

private:
    QTemporaryDir m_dir;
    std::string m_modelDir, m_saeDir;
    std::unique_ptr<Project> m_project;
    int64_t m_runId = 0;
};

void TestPlayground::initTestCase() {
    MISTUDIO_REQUIRE_FIXTURE(kModel);
    m_modelDir = test::fixture(kModel);
    m_saeDir = m_dir.filePath("sae").toStdString();
    writeRandomSae(m_saeDir, 64);
    m_project =
        std::make_unique<Project>(Project::create(m_dir.filePath("p.mistudio").toStdString()));
    ModelRecord model;
    model.hubId = "aidreams260k";
    model.localPath = m_modelDir;
    RunRecord run;
    run.modelId = m_project->addModel(model);
    run.saePath = m_project->toAssetPath(m_saeDir);
    run.hook = kHook;
    m_runId = m_project->createRun(run);
}

void TestPlayground::readingsMatchDirectRecomputation() {
    const PlaygroundSource source = PlaygroundSession::sourceForRun(*m_project, m_runId);
    QCOMPARE(source.modelFolder, m_modelDir);
    QCOMPARE(source.hook, std::string(kHook));
    auto session = PlaygroundSession::open(source);
    QCOMPARE(session->dSae(), kDSae);
    const std::string text = "Once upon a time, a little cat named Tom found a shiny red ball.";
    PlaygroundOptions o;
    o.topFeatures = 5;
    // Select a feature that fires on this text (the one in most tokens' top lists), so the
    // per-token comparison of the selected feature is not all zeros.
    std::map<int64_t, int> seen;
    for (const PlaygroundToken& t : session->encode(text).tokens)
        for (const auto& [f, v] : t.top)
            seen[f] += !t.special;
    o.selectedFeature = std::max_element(seen.begin(), seen.end(), [](auto& a, auto& b) {
                            return a.second < b.second;
                        })->first;
    const PlaygroundResult r = session->encode(text, o);

    // Tokens: the tokenizer's post-processor adds <s>, as the session does for the analysis.
    const Tokenizer tok = Tokenizer::load(m_modelDir);
    const Encoding enc = tok.encode(text, true);
    QCOMPARE(r.tokens.size(), enc.ids.size());
    QVERIFY(!r.truncated);
    QVERIFY(r.tokens[0].special);
    const int64_t T = static_cast<int64_t>(enc.ids.size());
    for (int64_t t = 0; t < T; ++t) {
        QCOMPARE(r.tokens[size_t(t)].id, enc.ids[size_t(t)]);
        QCOMPARE(r.tokens[size_t(t)].text, tok.displayToken(enc.ids[size_t(t)]));
        if (t > 0)
            QCOMPARE(
                text.substr(r.tokens[size_t(t)].begin,
                            r.tokens[size_t(t)].end - r.tokens[size_t(t)].begin),
                text.substr(enc.byteOffsets[size_t(t)].begin,
                            enc.byteOffsets[size_t(t)].end - enc.byteOffsets[size_t(t)].begin));
    }

    // Activations: the full model's hidden state at the hook, the encoder written out.
    auto model = model::Transformer::open(m_modelDir);
    model::ForwardRequest req;
    req.capture = {kHook};
    const std::vector<int64_t> ids(enc.ids.begin(), enc.ids.end());
    const at::Tensor x = model->forward(at::tensor(ids).view({1, T}), req).activations.at(kHook)[0];
    const sae::SaeModel sae = sae::loadSaeLens(m_saeDir);
    const at::Tensor codes = at::relu(at::matmul(x - sae.bDec, sae.encT.t()) + sae.bEnc);
    int firing = 0;
    for (int64_t t = 0; t < T; ++t) {
        const PlaygroundToken& got = r.tokens[size_t(t)];
        const at::Tensor row = codes[t];
        QVERIFY(std::abs(got.selected - row[o.selectedFeature].item<float>()) < 1e-4);
        QVERIFY(std::abs(got.total - row.sum().item<float>()) < 1e-3);
        QCOMPARE(got.activeCount, int((row > 0).sum().item<int64_t>()));
        // The top list: the largest active features, largest first, at most 5.
        std::vector<std::pair<float, int64_t>> expect;
        for (int64_t f = 0; f < kDSae; ++f)
            if (row[f].item<float>() > 0)
                expect.emplace_back(row[f].item<float>(), f);
        std::sort(expect.rbegin(), expect.rend());
        expect.resize(std::min<size_t>(expect.size(), 5));
        QCOMPARE(got.top.size(), expect.size());
        for (size_t j = 0; j < expect.size(); ++j) {
            QCOMPARE(got.top[j].first, expect[j].second);
            QVERIFY(std::abs(got.top[j].second - expect[j].first) < 1e-4);
        }
        firing += got.selected > 0;
    }
    QVERIFY2(firing > 1, "the selected feature hardly fires: the comparison would be vacuous");
}

void TestPlayground::longTextsAreCutAtTheContext() {
    auto session = PlaygroundSession::open(PlaygroundSession::sourceForRun(*m_project, m_runId));
    std::string text;
    for (int i = 0; i < 80; ++i)
        text += "The dog ran to the park. ";
    const PlaygroundResult r = session->encode(text);
    QVERIFY(r.truncated);
    QCOMPARE(r.tokens.size(), size_t(128)); // max_position_embeddings of the fixture
    QCOMPARE(session->encode("").tokens.size(), size_t(1)); // only the BOS
    PlaygroundOptions few;
    few.maxTokens = 7;
    QCOMPARE(session->encode(text, few).tokens.size(), size_t(7));
}

void TestPlayground::badInputIsRefused() {
    auto session = PlaygroundSession::open(PlaygroundSession::sourceForRun(*m_project, m_runId));
    PlaygroundOptions o;
    o.selectedFeature = kDSae;
    QVERIFY_THROWS_EXCEPTION(Exception, session->encode("hello", o));
    PlaygroundSource wrongHook{m_modelDir, m_saeDir, "blocks.9.hook_resid_post", "cpu"};
    QVERIFY_THROWS_EXCEPTION(Exception, PlaygroundSession::open(wrongHook));
    PlaygroundSource noSae{m_modelDir, m_dir.filePath("missing").toStdString(), "", "cpu"};
    QVERIFY_THROWS_EXCEPTION(Exception, PlaygroundSession::open(noSae));
    const std::string narrow = m_dir.filePath("sae-32").toStdString();
    writeRandomSae(narrow, 32); // d_in 32 against the model's d_model 64
    const PlaygroundSource narrowSae{m_modelDir, narrow, "", "cpu"};
    QVERIFY_THROWS_EXCEPTION(Exception, PlaygroundSession::open(narrowSae));
    RunRecord pending;
    pending.hook = kHook;
    const int64_t pendingId = m_project->createRun(pending);
    QVERIFY_THROWS_EXCEPTION(Exception, PlaygroundSession::sourceForRun(*m_project, pendingId));
}

QTEST_GUILESS_MAIN(TestPlayground)
#include "test_playground.moc"
