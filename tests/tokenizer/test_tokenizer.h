#pragma once
// test_tokenizer: exactness against the fixtures' goldens and the CLI (test_tokenizer.cpp), unit
// tests of offsets, invalid UTF-8, display strings and batch encoding (test_tokenizer_units.cpp),
// and component tests on small synthetic tokenizers (test_tokenizer_components.cpp).

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
    // test_tokenizer_components.cpp
    void regexFollowsOniguruma();
    void syntheticPipeline();
    void postProcessing();
    void subwordAffixes();
    void badFilesGiveClearErrors();
};
