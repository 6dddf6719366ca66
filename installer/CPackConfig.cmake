# Packaging: a Debian package (dependencies computed by dpkg-shlibdeps from the binaries, plus the
# OpenBLAS backend that Debian's LibTorch needs to be fast) and a relocatable tarball.
# `cmake --build build --target package` or `cpack --config build/CPackConfig.cmake`.

include(GNUInstallDirs)
set(_linux ${PROJECT_SOURCE_DIR}/installer/linux)
install(FILES ${_linux}/mistudio.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${_linux}/mistudio-mime.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages RENAME mistudio.xml)
install(DIRECTORY ${_linux}/icons/hicolor DESTINATION ${CMAKE_INSTALL_DATADIR}/icons)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME "mistudio")
set(CPACK_PACKAGE_VENDOR "miStudio")
set(CPACK_PACKAGE_CONTACT "miStudio developers <dev@mistudio.local>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Desktop interpretability studio: sparse autoencoders for language models")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_FILE_NAME "mistudio-${PROJECT_VERSION}-${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Not visible to dpkg-shlibdeps (chosen through Debian's BLAS alternatives at run time).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp | libopenblas0-pthread")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libqt6svg6")
# Refresh the desktop, MIME and icon caches so a double-click on a .mistudio file opens the studio.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_linux}/postinst)

include(CPack)
