#include "settings/studio_settings.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPalette>
#include <QSaveFile>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>

namespace mistudio::ui {

StudioSettings StudioSettings::load() {
    QSettings s;
    StudioSettings out;
    out.cacheFolder = s.value(QStringLiteral("hub/cacheFolder")).toString();
    out.device = s.value(QStringLiteral("engine/device"), out.device).toString();
    out.threads = s.value(QStringLiteral("engine/threads"), 0).toInt();
    out.theme = s.value(QStringLiteral("ui/theme"), out.theme).toString();
    return out;
}

void StudioSettings::save() const {
    QSettings s;
    s.setValue(QStringLiteral("hub/cacheFolder"), cacheFolder);
    s.setValue(QStringLiteral("engine/device"), device);
    s.setValue(QStringLiteral("engine/threads"), threads);
    s.setValue(QStringLiteral("ui/theme"), theme);
}

QString TokenStore::tokenFilePath() {
    const QString explicitPath = qEnvironmentVariable("HF_TOKEN_PATH");
    if (!explicitPath.isEmpty())
        return explicitPath;
    const QString hfHome = qEnvironmentVariable("HF_HOME");
    if (!hfHome.isEmpty())
        return hfHome + QStringLiteral("/token");
    return QDir::homePath() + QStringLiteral("/.cache/huggingface/token");
}

bool TokenStore::save(const QString& token, QString* error) {
    const QString path = tokenFilePath();
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile file(path); // temp file + atomic rename
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QObject::tr("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    // Restrict before any byte of the secret is written.
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(token.trimmed().toUtf8());
    if (!file.commit()) {
        if (error)
            *error = QObject::tr("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

QString TokenStore::load() {
    QFile file(tokenFilePath());
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).trimmed();
}

bool TokenStore::clear() {
    const QString path = tokenFilePath();
    return !QFile::exists(path) || QFile::remove(path);
}

QString TokenStore::masked(const QString& token) {
    if (token.size() <= 8)
        return QString(token.size(), QLatin1Char('*'));
    return token.left(3) + QStringLiteral("…") + token.right(4);
}

void applyTheme(const QString& theme) {
    if (theme == QLatin1String("dark")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QPalette p;
        const QColor window(37, 37, 38), base(30, 30, 30), text(220, 220, 220);
        p.setColor(QPalette::Window, window);
        p.setColor(QPalette::WindowText, text);
        p.setColor(QPalette::Base, base);
        p.setColor(QPalette::AlternateBase, window);
        p.setColor(QPalette::Text, text);
        p.setColor(QPalette::Button, window);
        p.setColor(QPalette::ButtonText, text);
        p.setColor(QPalette::Highlight, QColor(245, 158, 11));
        p.setColor(QPalette::HighlightedText, Qt::black);
        p.setColor(QPalette::ToolTipBase, base);
        p.setColor(QPalette::ToolTipText, text);
        QApplication::setPalette(p);
    } else if (theme == QLatin1String("light")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(QApplication::style()->standardPalette());
    } else {
        QApplication::setPalette(QPalette());
    }
}

} // namespace mistudio::ui
