#pragma once
// test_tokenizer: exactness against the fixtures' goldens (test_tokenizer.cpp) and unit tests of
// offsets, invalid UTF-8, display strings, batch encoding, components and errors
// (test_tokenizer_units.cpp).

#include <QObject>

class TestTokenizer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // test_tokenizer.cpp
    void fixtureGoldens_data();
    void fixtureGoldens();
    void tokenizerJsonAloneGivesReferenceSpecials();
    void specialIdsFromConfig();
    void aidreamsGoldenPrompt();
    void cliTokenizeMatchesGoldens();
    void cliRejectsBadInput();
    // test_tokenizer_units.cpp
    void byteOffsetsTileTheInput();
    void offsetsHandComputed();
    void invalidUtf8BecomesReplacementChar();
    void displayTokenIsReadable();
    void batchEqualsSequential();
    void regexFollowsOniguruma();
    void syntheticPipeline();
    void postProcessing();
    void subwordAffixes();
    void badFilesGiveClearErrors();
};
