# Packaging for users of the installed library: the CMake package (find_package(tether) gives
# tether::tether) and the pkg-config file. The library, the header and tether-wscat install
# themselves in capi/ and examples/; this file adds what describes them.
#
# Included from the top-level CMakeLists.txt after add_subdirectory(capi).

include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

get_filename_component(TETHER_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

set(TETHER_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/tether")

# ---- CMake package ----------------------------------------------------------------------------
install(EXPORT tetherTargets
  NAMESPACE tether::
  FILE tetherTargets.cmake
  DESTINATION "${TETHER_CMAKE_INSTALL_DIR}")

configure_package_config_file(
  "${TETHER_SOURCE_ROOT}/cmake/tetherConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/cmake/tetherConfig.cmake"
  INSTALL_DESTINATION "${TETHER_CMAKE_INSTALL_DIR}")

# The SONAME carries the major version and minor releases only add symbols (DESIGN.md), so any
# release with the same major version satisfies a request.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/cmake/tetherConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)

install(FILES
  "${PROJECT_BINARY_DIR}/cmake/tetherConfig.cmake"
  "${PROJECT_BINARY_DIR}/cmake/tetherConfigVersion.cmake"
  DESTINATION "${TETHER_CMAKE_INSTALL_DIR}")

# ---- pkg-config -------------------------------------------------------------------------------
# tether.pc holds absolute paths, and the prefix is only certain at install time (cmake --install
# --prefix overrides CMAKE_INSTALL_PREFIX), so the file is written then: into a directory of the
# build tree named after the destination, so that installs to different prefixes may run at once.
install(CODE "
  set(TETHER_PC_TEMPLATE [==[${TETHER_SOURCE_ROOT}/pkgconfig/tether.pc.in]==])
  set(TETHER_PC_STAGING [==[${PROJECT_BINARY_DIR}/pkgconfig]==])
  set(TETHER_PC_LIBDIR [==[${CMAKE_INSTALL_LIBDIR}]==])
  set(TETHER_PC_INCLUDEDIR [==[${CMAKE_INSTALL_INCLUDEDIR}]==])
  set(TETHER_PC_VERSION [==[${PROJECT_VERSION}]==])
")
install(CODE [==[
  set(TETHER_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  if(IS_ABSOLUTE "${TETHER_PC_LIBDIR}")
    set(tether_pc_destination "${TETHER_PC_LIBDIR}/pkgconfig")
  else()
    set(tether_pc_destination "${CMAKE_INSTALL_PREFIX}/${TETHER_PC_LIBDIR}/pkgconfig")
    set(TETHER_PC_LIBDIR "\${prefix}/${TETHER_PC_LIBDIR}")
  endif()
  if(NOT IS_ABSOLUTE "${TETHER_PC_INCLUDEDIR}")
    set(TETHER_PC_INCLUDEDIR "\${prefix}/${TETHER_PC_INCLUDEDIR}")
  endif()
  string(MD5 tether_pc_key "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
  configure_file("${TETHER_PC_TEMPLATE}" "${TETHER_PC_STAGING}/${tether_pc_key}/tether.pc" @ONLY)
  # file(INSTALL) adds DESTDIR itself, as for every other installed file.
  file(INSTALL DESTINATION "${tether_pc_destination}" TYPE FILE
       FILES "${TETHER_PC_STAGING}/${tether_pc_key}/tether.pc")
]==])
