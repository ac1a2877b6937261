# CESIM_SANITIZE=address,undefined or thread. No recovery, so any report fails a test.
if(CESIM_SANITIZE)
  add_compile_options(-fsanitize=${CESIM_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CESIM_SANITIZE})
endif()

# ThreadSanitizer sees only the synchronisation done in instrumented code. With Debian's libtbb
# every hand-over between TBB's threads (spawn, steal, the end of a parallel_for) is invisible,
# so it reports races in TBB's headers and in cesim's own loop bodies alike, and suppressions
# broad enough to silence those would hide cesim's real races too. So the thread build compiles
# oneTBB itself with -fsanitize=thread, once per build directory, from CESIM_TSAN_TBB_SOURCE
# (.ci/run unpacks the Debian source of the installed libtbb there), and uses that TBB.
if(CESIM_SANITIZE MATCHES "thread")
  set(CESIM_TSAN_TBB_SOURCE "" CACHE PATH "oneTBB source tree to build with -fsanitize=thread")
  set(tsan_tbb ${PROJECT_BINARY_DIR}/tbb-tsan)
  if(NOT EXISTS ${tsan_tbb}/lib/cmake/TBB/TBBConfig.cmake)
    if(NOT EXISTS "${CESIM_TSAN_TBB_SOURCE}/CMakeLists.txt")
      message(FATAL_ERROR "CESIM_SANITIZE=thread needs a oneTBB built with ThreadSanitizer: set "
              "CESIM_TSAN_TBB_SOURCE to a oneTBB source tree, ideally of the installed version "
              "(the tsan preset expects build/tbb-source; .ci/run shows how it fetches it).")
    endif()
    message(STATUS "Building oneTBB from ${CESIM_TSAN_TBB_SOURCE} with -fsanitize=thread")
    cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
    # TBB_STRICT=OFF and -Wno-tsan: GCC warns that TSan ignores TBB's atomic_thread_fence calls
    # and TBB would make that an error. Only the tbb library: cesim uses neither tbbmalloc nor
    # tbbbind.
    execute_process(
      COMMAND ${CMAKE_COMMAND} -S ${CESIM_TSAN_TBB_SOURCE} -B ${tsan_tbb}/build
              -G ${CMAKE_GENERATOR} -DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
              -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER} -DCMAKE_BUILD_TYPE=RelWithDebInfo
              -DCMAKE_CXX_FLAGS=-Wno-tsan -DCMAKE_INSTALL_PREFIX=${tsan_tbb}
              -DCMAKE_INSTALL_LIBDIR=lib -DTBB_SANITIZE=thread -DTBB_STRICT=OFF -DTBB_TEST=OFF
              -DTBB_EXAMPLES=OFF -DTBBMALLOC_BUILD=OFF -DTBB_DISABLE_HWLOC_AUTOMATIC_SEARCH=ON
      COMMAND_ERROR_IS_FATAL ANY)
    execute_process(
      COMMAND ${CMAKE_COMMAND} --build ${tsan_tbb}/build --target install --parallel ${cores}
      COMMAND_ERROR_IS_FATAL ANY)
  endif()
  set(TBB_DIR ${tsan_tbb}/lib/cmake/TBB CACHE PATH "TBB built with ThreadSanitizer" FORCE)

  # GCC 12's -Wnull-dereference misfires on TSan-instrumented code in the cesim binary only
  # (std::vector<std::string> growth in CLI11's split, a std::map node handle in cli/cluster.cpp);
  # the Release and ASan builds keep the warning. Deferred: it must follow cesim_set_warnings.
  cmake_language(DEFER CALL target_compile_options cesim PRIVATE -Wno-null-dereference)

  # GCC 12's TSan expects the address-space layout of up to 28 bits of mmap randomisation and
  # aborts with "FATAL: ThreadSanitizer: unexpected memory mapping" above that.
  if(EXISTS /proc/sys/vm/mmap_rnd_bits)
    file(STRINGS /proc/sys/vm/mmap_rnd_bits rnd_bits)
    if(rnd_bits GREATER 28)
      message(WARNING "vm.mmap_rnd_bits is ${rnd_bits}: ThreadSanitizer binaries will abort. "
              "Build and test under `setarch -R` (as .ci/run does) or set vm.mmap_rnd_bits=28.")
    endif()
  endif()
endif()
