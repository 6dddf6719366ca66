// Settings and the token: 0600 file at huggingface_hub's location, validation on the dialog.
#include "dialogs/settings_dialog.h"
#include "settings/studio_settings.h"

#include <QComboBox>
#include <QLineEdit>
#include <QTemporaryDir>
#include <QtTest>
#include <sys/stat.h>

using namespace mistudio::ui;

class TestSettings : public QObject {
    Q_OBJECT
    QTemporaryDir m_home;
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("HF_HOME", m_home.path().toUtf8());
        qunsetenv("HF_TOKEN_PATH");
    }
    void tokenFileIsOwnerOnly();
    void maskedNeverRevealsTheToken();
    void dialogRejectsABadTokenAndKeepsTheOldOne();
    void dialogSavesSettings();
};

void TestSettings::tokenFileIsOwnerOnly() {
    QCOMPARE(TokenStore::tokenFilePath(), m_home.path() + QStringLiteral("/token"));
    QVERIFY(TokenStore::save(QStringLiteral("hf_secretsecretsecret\n")));
    struct stat st {};
    QCOMPARE(::stat(TokenStore::tokenFilePath().toLocal8Bit().constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
    QCOMPARE(TokenStore::load(), QStringLiteral("hf_secretsecretsecret"));
    QVERIFY(TokenStore::clear());
    QVERIFY(TokenStore::load().isEmpty());
}

void TestSettings::maskedNeverRevealsTheToken() {
    const QString token = QStringLiteral("hf_abcdefghijklmnopqrstuvwxyz");
    const QString m = TokenStore::masked(token);
    QVERIFY(!m.contains(QStringLiteral("defghijklmnopqrstuv")));
    QVERIFY(m.endsWith(QStringLiteral("wxyz")));
    QCOMPARE(TokenStore::masked(QStringLiteral("short")), QStringLiteral("*****"));
}

void TestSettings::dialogRejectsABadTokenAndKeepsTheOldOne() {
    QVERIFY(TokenStore::save(QStringLiteral("hf_oldtokenoldtoken")));
    SettingsDialog dialog;
    auto edits = dialog.findChildren<QLineEdit*>();
    QLineEdit* token = edits.at(0);
    token->setText(QStringLiteral("not-a-token"));
    QVERIFY(!dialog.apply());
    QVERIFY(dialog.lastError().contains(QStringLiteral("hf_")));
    QCOMPARE(TokenStore::load(), QStringLiteral("hf_oldtokenoldtoken"));
}

void TestSettings::dialogSavesSettings() {
    SettingsDialog dialog;
    auto edits = dialog.findChildren<QLineEdit*>();
    edits.at(0)->setText(QStringLiteral("hf_newtokennewtoken"));
    edits.at(1)->setText(m_home.path() + QStringLiteral("/cache"));
    auto combos = dialog.findChildren<QComboBox*>();
    combos.last()->setCurrentText(QStringLiteral("dark"));
    QVERIFY2(dialog.apply(), qPrintable(dialog.lastError()));
    const StudioSettings s = StudioSettings::load();
    QCOMPARE(s.cacheFolder, m_home.path() + QStringLiteral("/cache"));
    QCOMPARE(s.theme, QStringLiteral("dark"));
    QCOMPARE(TokenStore::load(), QStringLiteral("hf_newtokennewtoken"));
    QCOMPARE(qApp->palette().color(QPalette::Window), QColor(37, 37, 38));
}

QTEST_MAIN(TestSettings)
#include "test_settings.moc"
