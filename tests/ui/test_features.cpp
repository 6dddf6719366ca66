// Feature browser: the table model against direct store queries (and QAbstractItemModelTester),
// lazy paging, sorting and filters; the feature page, annotations and neighbor navigation.
#include "models/feature_table_model.h"
#include "store_test_data.h"
#include "widgets/token_heatmap.h"
#include "windows/feature_page_widget.h"
#include "windows/features_panel.h"

#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QListWidget>
#include <QSignalSpy>
#include <QTableView>
#include <QtTest>

using namespace mistudio;
using namespace mistudio::ui;

class TestFeatures : public QObject {
    Q_OBJECT
    std::shared_ptr<Project> m_project;
    int64_t m_run = 0;
    static constexpr int kFeatures = 3000;

private Q_SLOTS:
    void initTestCase();
    void modelMatchesStoreQueries();
    void modelPagesLazily();
    void sortingAndFilteringFollowTheStore();
    void pageShowsAndSavesAnnotations();
    void neighborActivationOpensThatFeature();
    void heatmapIntensityFollowsActivation();
    void densityRangeFilters();
};

void TestFeatures::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    m_project = std::make_shared<Project>(Project::inMemory());
    RunRecord run;
    run.name = "test";
    run.hook = "blocks.1.hook_resid_post";
    run.dSae = kFeatures;
    m_run = m_project->createRun(run);
    for (int64_t first = 0; first < kFeatures; first += 500)
        m_project->writeFeatures(m_run, test::makeFeatures(first, 500, uint32_t(first + 1), 3, 8));
}

void TestFeatures::modelMatchesStoreQueries() {
    FeatureTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRun(m_project, m_run);
    QCOMPARE(model.rowCount(), kFeatures);
    FeatureQuery q;
    q.limit = kFeatures;
    const FeatureList direct = m_project->queryFeatures(m_run, q);
    for (int row : {0, 1, 255, 256, 1000, kFeatures - 1}) {
        QCOMPARE(model.featureIndexAt(row), direct.rows[size_t(row)].index);
        QCOMPARE(model.data(model.index(row, FeatureTableModel::LabelColumn), Qt::DisplayRole)
                     .toString(),
                 QString::fromStdString(direct.rows[size_t(row)].label));
    }
}

void TestFeatures::modelPagesLazily() {
    FeatureTableModel model;
    model.setRun(m_project, m_run);
    QCOMPARE(model.pagesFetched(), 1); // only the first page on open
    model.data(model.index(kFeatures - 1, 0), Qt::DisplayRole);
    QCOMPARE(model.pagesFetched(), 2); // the last page, nothing in between
    model.data(model.index(kFeatures - 2, 0), Qt::DisplayRole);
    QCOMPARE(model.pagesFetched(), 2); // cached
}

void TestFeatures::sortingAndFilteringFollowTheStore() {
    FeatureTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRun(m_project, m_run);
    model.sort(FeatureTableModel::MaxColumn, Qt::DescendingOrder);
    double previous = 1e9;
    for (int row = 0; row < 600; ++row) {
        const double v =
            model.data(model.index(row, FeatureTableModel::MaxColumn), Qt::DisplayRole).toDouble();
        QVERIFY(v <= previous + 1e-3);
        previous = v;
    }
    FeatureQuery filter;
    filter.text = "cat";
    model.setFilter(filter);
    FeatureQuery direct = filter;
    direct.sort = FeatureSort::MaxActivation;
    direct.descending = true;
    direct.limit = kFeatures;
    const FeatureList expected = m_project->queryFeatures(m_run, direct);
    QCOMPARE(int64_t(model.rowCount()), expected.total);
    QVERIFY(expected.total > 0 && expected.total < kFeatures);
    for (int row = 0; row < model.rowCount(); row += 37)
        QCOMPARE(model.featureIndexAt(row), expected.rows[size_t(row)].index);
}

void TestFeatures::pageShowsAndSavesAnnotations() {
    FeaturePageWidget page;
    page.showFeature(m_project, m_run, 42);
    QCOMPARE(page.featureIndex(), int64_t(42));
    QCOMPARE(page.findChildren<TokenHeatmap*>().size(), 3 + 4); // top + quantile examples
    auto* label = page.findChildren<QLineEdit*>().at(0);
    label->setText(QStringLiteral("French cooking"));
    QVERIFY(page.saveAnnotations());
    QCOMPARE(QString::fromStdString(m_project->featurePage(m_run, 42).stats.label),
             QStringLiteral("French cooking"));
    const QJsonDocument json = QJsonDocument::fromJson(page.pageJson().toUtf8());
    QCOMPARE(json.object().value(QStringLiteral("index")).toInt(), 42);
    QCOMPARE(json.object().value(QStringLiteral("top_examples")).toArray().size(), 3);
    // A feature that does not exist shows a message, not a crash.
    page.showFeature(m_project, m_run, kFeatures + 5);
    QCOMPARE(page.findChildren<TokenHeatmap*>().size(), 0);
}

void TestFeatures::neighborActivationOpensThatFeature() {
    FeaturesPanel panel;
    panel.setRun(m_project, m_run);
    panel.openFeature(10);
    QCOMPARE(panel.page()->featureIndex(), int64_t(10));
    QListWidget* neighbors = panel.page()->findChildren<QListWidget*>().at(2);
    QVERIFY(neighbors->count() > 0);
    const qint64 target = neighbors->item(0)->data(Qt::UserRole).toLongLong();
    Q_EMIT neighbors->itemActivated(neighbors->item(0));
    QCOMPARE(panel.page()->featureIndex(), int64_t(target));
}

void TestFeatures::heatmapIntensityFollowsActivation() {
    TokenHeatmap heat;
    heat.setTokens({{QStringLiteral(" a"), 1, 0.f},
                    {QStringLiteral("\n"), 2, 2.f},
                    {QStringLiteral("b"), 3, 4.f}},
                   4.f);
    QCOMPARE(heat.alphaFor(0.f), 0);
    QCOMPARE(heat.alphaFor(4.f), 255);
    QVERIFY(heat.alphaFor(2.f) > 100 && heat.alphaFor(2.f) < 140);
    QCOMPARE(TokenHeatmap::displayText(QStringLiteral("\n")), QStringLiteral("↵"));
    heat.resize(400, heat.heightForWidth(400));
    QCOMPARE(heat.tokenAt(QPoint(2, 2)), 0);
}

void TestFeatures::densityRangeFilters() {
    FeaturesPanel panel;
    panel.setRun(m_project, m_run);
    panel.setDensityRange(-1.6, -1.4); // densities in [0.025, 0.040]
    FeatureQuery q;
    q.minDensity = std::pow(10.0, -1.6);
    q.maxDensity = std::pow(10.0, -1.4);
    q.limit = 1;
    QCOMPARE(int64_t(panel.model()->rowCount()), m_project->queryFeatures(m_run, q).total);
    QVERIFY(panel.model()->rowCount() < kFeatures);
}

QTEST_MAIN(TestFeatures)
#include "test_features.moc"
